"""Machine-readable consent signals, read and written.

Read (each module turns one kind of signal into `vocabulary.Signal`s about the four uses of
the CAWG training-and-data-mining vocabulary): `embedded` (XMP, IPTC-IIM and C2PA inside
the file), `headers` (X-Robots-Tag, TDMRep headers, Content-Usage), `tdmrep`
(tdmrep.json, HTML meta), `robots` (robots.txt), `aipref` (the IETF vocabulary), with
`hosts` fetching and caching the per-host files. `decision.decide` weighs them all.

Written: `writers.xmp_with_terms` and `writers.c2pa_signed`, with `signing` for our key."""

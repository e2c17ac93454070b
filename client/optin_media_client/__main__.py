from optin_media_client.cli import main

raise SystemExit(main())

"""Source connectors, by source name. Imported on use so a command loads only its source."""

from django.utils.module_loading import import_string

from catalog.connectors.base import Connector

CONNECTORS = {
    "wikimedia_commons": "catalog.connectors.wikimedia_commons.WikimediaCommonsConnector",
    "smithsonian": "catalog.connectors.smithsonian.SmithsonianConnector",
    "europeana": "catalog.connectors.europeana.EuropeanaConnector",
    "metropolitan_museum": "catalog.connectors.metropolitan_museum.MetropolitanMuseumConnector",
    "cleveland_museum": "catalog.connectors.cleveland_museum.ClevelandMuseumConnector",
    "art_institute_chicago": (
        "catalog.connectors.art_institute_chicago.ArtInstituteChicagoConnector"
    ),
    "nypl": "catalog.connectors.nypl.NyplConnector",
    "brooklyn_museum": "catalog.connectors.brooklyn_museum.BrooklynMuseumConnector",
}


def get_connector(name: str) -> Connector:
    try:
        return import_string(CONNECTORS[name])()
    except KeyError:
        raise KeyError(f"Unknown source {name!r}; choose one of {', '.join(CONNECTORS)}.") from None

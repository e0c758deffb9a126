"""A short readout of a meeting the seed does not hold, shared by the ingest tests."""

READOUT = (
    "On May 17, 2024, Chinese Foreign Minister Wang Yi held talks in Beijing with "
    "Kazakh Foreign Minister Murat Nurtleu.\n\n"
    "The two sides agreed to expand trade in agricultural products. "
    "China and Kazakhstan will take the signing of an agreement on mutual visa exemption as an "
    "opportunity to facilitate cross-border travel.\n\n"
    "China supports Kazakhstan in hosting the next summit of the SCO."
)

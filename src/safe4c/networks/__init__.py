"""Networks: identifiers found in reports (accounts, phones, links, payments), the links they make between
reports, networks (clusters) of linked reports, their urgency, and the full rebuild of links."""

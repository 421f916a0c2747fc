"""The service directory: agencies and service providers by type and region in the shape of Open Referral's
HSDS 3.0 (import, export, the seed), and their coverage of regencies with the remote (3T) ones flagged
(docs/directory.md). Where a case will be referred (issue 10)."""

"""The service directory (to come, issue 10): agencies and service providers by type and region (Open
Referral HSDS), their coverage of regencies, and where a case is referred."""

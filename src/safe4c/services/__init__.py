"""Use cases: plain functions ``do_thing(*, uow, ...)``. The service layer is the only place that commits."""

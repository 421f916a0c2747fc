"""Pure rules of case management: agency types and regions, workflow stages and steps, deadlines, consent,
routing and caseload order. They import no database, web framework, unit of work or jobs (an import contract
checks it)."""

"""Pure rules of this area: plain values in, decisions out. They import no database, web framework or numpy
(an import contract checks it), and are unit-tested in milliseconds."""

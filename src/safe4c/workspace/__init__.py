"""The analyst workspace: what trained analysts see and decide across areas. The report page and the network
page, assignment and the queue's bulk actions, saved filters, decisions (confirm material, takedowns,
referrals, closing) and the evidence package. It stands above reports, networks, takedowns and the hash list,
and uses them; none of them imports it."""

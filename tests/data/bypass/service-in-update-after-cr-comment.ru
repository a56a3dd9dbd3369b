INSERT { ?s ?p ?o } WHERE { # a noteSERVICE <http://127.0.0.1:TRAP_PORT/sparql> { ?s ?p ?o } }

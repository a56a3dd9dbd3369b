INSERT { <urn:x:a> <urn:x:b> ?o } USING <http://127.0.0.1:TRAP_PORT/data.ttl> WHERE { ?s ?p ?o }

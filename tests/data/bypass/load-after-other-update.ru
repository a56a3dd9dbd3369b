INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> } ;
LOAD <http://127.0.0.1:TRAP_PORT/data.ttl>

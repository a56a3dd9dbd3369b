LOAD SILENT <http://127.0.0.1:TRAP_PORT/data.ttl> INTO GRAPH <urn:x:loaded>

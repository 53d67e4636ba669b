"""Cross-verification of a declaration against logistics evidence (DESIGN §5).

``evidence`` holds the plain, database-free facts a check looks at; ``rules`` one pure
function per warning code; ``risk`` turns warnings and risk rules into a score and a lane.
The service that loads a bundle and stores the result is ``services.crosscheck``.
"""

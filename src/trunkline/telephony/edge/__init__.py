"""The SIP edge: Kamailio's configuration, its Python KEMI routing script and the process runner.

``router.py`` runs inside Kamailio (Debian's embedded Python, standard library only) and never imports Django or
any other Trunkline module. ``policy.py`` is its pure decision logic, importable by tests and the script alike.
"""

"""Pure licensing maths, free of Django: license keys, ISO weeks, the affiliated cap, certificates and signatures."""

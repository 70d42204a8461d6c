
r-5k-5BJ01"A001â8c	connectedgood:
2026-12-01Bcalled back 13812345678
"""Chaos drills that run the incident guide's procedures against an AWS emulator or account."""

"""Generated protocol buffer package fastjwt.auth (scripts/gen_protos.py; do not edit)."""

"""Generated protocol buffer package fastjwt.auth.v1 (scripts/gen_protos.py; do not edit)."""

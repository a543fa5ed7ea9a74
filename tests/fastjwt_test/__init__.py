"""Generated protocol buffer package fastjwt_test (scripts/gen_protos.py; do not edit)."""

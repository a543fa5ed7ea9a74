"""Generated protocol buffer package fastjwt_test.v1 (scripts/gen_protos.py; do not edit)."""

"""Generated protobuf and gRPC code of ``protos/fastjwt/demo/v1`` (do not edit)."""

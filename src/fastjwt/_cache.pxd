# Declarations for modules that cimport the compiled cache (see _pipeline.pyx).

cpdef dict copy_json(dict value)

# Every project option in one place, all prefixed FOLIO_ (style: llama.cpp's LLAMA_* options).
set(FOLIO_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON, OFF")
set_property(CACHE FOLIO_CUDA PROPERTY STRINGS AUTO ON OFF)
option(FOLIO_BUILD_APP "Build the Qt layers (ingest, storage, appcore, ui, folio, folio-cli)" ON)
option(FOLIO_BUILD_TESTS "Build the test executables and register them with CTest" ON)
option(FOLIO_WERROR "Treat compiler warnings as errors" OFF)
set(FOLIO_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address;undefined")
option(FOLIO_NATIVE "Tune for the build machine (-march=native); off by default so binaries travel" OFF)

# cpu/simd op kernels (ops_kernels.h: attention, indexer scores, grouped wo_a, RMSNorm, mHC, RoPE;
# SwiGLU and compressor pooling in ops_avx2_exp.cpp), compiled into folio_engine (included from
# engine/CMakeLists.txt after simd.cmake, which defines FOLIO_HAVE_AVX2_KERNELS on x86-64). Only
# the ops_avx2*.cpp files get -mavx2 -mfma; they are entered only after the run-time ISA check, so
# the engine still runs on any x86-64.
target_sources(folio_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ops_scalar.cpp)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  target_sources(folio_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ops_avx2.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/ops_avx2_exp.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/ops_avx2.cpp
                              ${CMAKE_CURRENT_LIST_DIR}/ops_avx2_exp.cpp PROPERTIES
                              COMPILE_OPTIONS "-mavx2;-mfma")
endif()

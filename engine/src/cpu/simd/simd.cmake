# cpu/simd: the fast CPU kernels, compiled into folio_engine (included from engine/CMakeLists.txt).
# Only the AVX2 translation unit gets -mavx2 -mfma, so the engine still runs on any x86-64: the
# kernels there are entered only after a run-time __builtin_cpu_supports check.
target_sources(folio_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/kernels_scalar.cpp)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  target_sources(folio_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/kernels_avx2.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/kernels_avx2.cpp PROPERTIES
                              COMPILE_OPTIONS "-mavx2;-mfma")
  target_compile_definitions(folio_engine PUBLIC FOLIO_HAVE_AVX2_KERNELS=1)
endif()

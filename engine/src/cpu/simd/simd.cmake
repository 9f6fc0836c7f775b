# cpu/simd: the fast CPU kernels, compiled into folio_engine (included from engine/CMakeLists.txt).
# Only the AVX2 translation units get -mavx2 -mfma -mf16c, so the engine still runs on any x86-64: the
# kernels there are entered only after a run-time __builtin_cpu_supports check.
target_sources(folio_engine PRIVATE ${CMAKE_CURRENT_LIST_DIR}/kernels_scalar.cpp)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  set(folio_linear_avx2_sources ${CMAKE_CURRENT_LIST_DIR}/kernels_avx2.cpp
      ${CMAKE_CURRENT_LIST_DIR}/gemv_avx2.cpp ${CMAKE_CURRENT_LIST_DIR}/gemm_avx2.cpp)
  target_sources(folio_engine PRIVATE ${folio_linear_avx2_sources})
  set_source_files_properties(${folio_linear_avx2_sources} PROPERTIES
                              COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
  target_compile_definitions(folio_engine PUBLIC FOLIO_HAVE_AVX2_KERNELS=1)
endif()

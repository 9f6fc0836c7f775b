# ccache is picked up automatically when installed: CI rebuilds the same tree many times and a warm
# cache turns a multi-minute build into seconds. An explicit CMAKE_<LANG>_COMPILER_LAUNCHER wins.
find_program(FOLIO_CCACHE_PROGRAM ccache)
if(FOLIO_CCACHE_PROGRAM)
  foreach(lang C CXX CUDA)
    if(NOT DEFINED CMAKE_${lang}_COMPILER_LAUNCHER)
      set(CMAKE_${lang}_COMPILER_LAUNCHER "${FOLIO_CCACHE_PROGRAM}")
    endif()
  endforeach()
  message(STATUS "Folio: using ccache (${FOLIO_CCACHE_PROGRAM})")
endif()

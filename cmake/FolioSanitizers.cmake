# FOLIO_SANITIZE=address;undefined adds the sanitizers to every target of the project.
if(FOLIO_SANITIZE)
  foreach(san IN LISTS FOLIO_SANITIZE)
    if(NOT san MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "FOLIO_SANITIZE: unknown sanitizer '${san}' (address, undefined, thread, leak)")
    endif()
  endforeach()
  list(JOIN FOLIO_SANITIZE "," _folio_sans)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX,C>:-fsanitize=${_folio_sans}>
                      $<$<COMPILE_LANGUAGE:CXX,C>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=${_folio_sans})
  message(STATUS "Folio: sanitizers ${_folio_sans}")
endif()

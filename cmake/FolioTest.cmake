# folio_add_test(): the one way to add a test (style: llama.cpp's llama_build_and_test).
#
#   folio_add_test(NAME tst_tokenizer SOURCES a.cpp b.cpp LIBS folio_tokenizer
#                  [LABELS main|gpu|slow ...] [ARGS ...] [TIMEOUT s] [QT])
#   folio_add_test(NAME layering COMMAND bash script.sh ... [LABELS ...])
#
# Labels: `main` (the default; run by the README's test command and CI), `gpu` (needs a CUDA
# device; exits 77 = skipped without one), `slow` (over a minute; run explicitly with -L slow).
# QT marks a Qt Test executable: it links Qt6::Test and runs with QT_QPA_PLATFORM=offscreen.
# Engine tests use the plain harness in tests/harness (no Qt).
function(folio_add_test)
  cmake_parse_arguments(T "QT" "NAME;TIMEOUT;WORKING_DIRECTORY" "SOURCES;LIBS;LABELS;ARGS;COMMAND;ENV" ${ARGN})
  if(NOT T_NAME)
    message(FATAL_ERROR "folio_add_test: NAME is required")
  endif()
  if(NOT T_LABELS)
    set(T_LABELS main)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  if(NOT T_WORKING_DIRECTORY)
    set(T_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(T_COMMAND)
    add_test(NAME ${T_NAME} COMMAND ${T_COMMAND} ${T_ARGS} WORKING_DIRECTORY "${T_WORKING_DIRECTORY}")
  else()
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS})
    folio_set_warnings(${T_NAME})
    # Shared test helpers are included as "tests/support/..." from the source root.
    target_include_directories(${T_NAME} PRIVATE "${PROJECT_SOURCE_DIR}")
    target_compile_definitions(${T_NAME} PRIVATE
      FOLIO_SOURCE_DIR="${PROJECT_SOURCE_DIR}" FOLIO_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
      FOLIO_TOKENIZER_JSON="${FOLIO_TOKENIZER_JSON}" FOLIO_BINARY_DIR="${PROJECT_BINARY_DIR}")
    if(T_QT)
      target_link_libraries(${T_NAME} PRIVATE Qt6::Test)
    else()
      target_link_libraries(${T_NAME} PRIVATE folio_test_harness)
      # Plain-harness tests have no Qt: skip the moc/uic scan qt_standard_project_setup() enables.
      set_target_properties(${T_NAME} PROPERTIES AUTOMOC OFF AUTOUIC OFF AUTORCC OFF)
    endif()
    add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS} WORKING_DIRECTORY "${T_WORKING_DIRECTORY}")
  endif()
  set(env "QT_QPA_PLATFORM=offscreen" ${T_ENV})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${env}")
endfunction()

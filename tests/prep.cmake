# drnn-prep tests, included from tests/CMakeLists.txt. prep_check reads corpora with plain HDF5
# calls (not io/corpus.c) and drives io/tokenize directly; test_prep.sh runs one group per test.
add_executable(prep_check ${CMAKE_CURRENT_LIST_DIR}/prep_check.c)
target_link_libraries(prep_check drnn_io)

foreach(group byte char word splits errors signals kjv labels labels_errors kjv_labels)
  add_test(NAME prep_${group}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_prep.sh $<TARGET_FILE:drnn-prep>
                   $<TARGET_FILE:prep_check> ${group} ${CMAKE_CURRENT_LIST_DIR}/../data)
  set_tests_properties(prep_${group} PROPERTIES LABELS "integration;prep" TIMEOUT 300)
endforeach()

# trainer/config.c, which parses drnn-prep's and drnn-export's command lines (and every other's).
add_executable(test_config ${CMAKE_CURRENT_LIST_DIR}/test_config.c)
target_link_libraries(test_config drnn_trainer)
add_test(NAME unit_config COMMAND test_config)
set_tests_properties(unit_config PROPERTIES LABELS "unit;prep")

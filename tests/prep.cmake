# drnn-prep tests, included from tests/CMakeLists.txt. prep_check reads corpora with plain HDF5
# calls (not io/corpus.c) and drives io/tokenize directly; test_prep.sh runs one group per test.
add_executable(prep_check ${CMAKE_CURRENT_LIST_DIR}/prep_check.c)
target_link_libraries(prep_check drnn_io)

foreach(group byte char word halves splits errors signals stale kjv labels labels_errors kjv_labels)
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

# drnn-prep --format pairs: pairs_check reads the corpus through io/corpus.h; the layout is
# checked with h5dump; jobs/reverse_pairs.py (the reverse toy task) feeds it.
add_executable(pairs_check ${CMAKE_CURRENT_LIST_DIR}/pairs_check.c)
target_link_libraries(pairs_check drnn_io)
foreach(group pairs pairs_inputs pairs_max_len pairs_errors pairs_reader pairs_reverse)
  add_test(NAME prep_${group}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_prep_pairs.sh $<TARGET_FILE:drnn-prep>
                   $<TARGET_FILE:prep_check> $<TARGET_FILE:pairs_check> ${group}
                   ${CMAKE_CURRENT_LIST_DIR}/..)
  set_tests_properties(prep_${group} PROPERTIES LABELS "integration;prep" TIMEOUT 300)
endforeach()

# drnn-prep --format tags (sequence tagging): the corpus is decoded and checked with python3 + h5py
# and read back through io/corpus.h by prep_check (tags, offsets, damage).
foreach(group tags tags_errors)
  add_test(NAME prep_${group}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_prep_tags.sh $<TARGET_FILE:drnn-prep>
                   $<TARGET_FILE:prep_check> ${group})
  set_tests_properties(prep_${group} PROPERTIES LABELS "integration;prep" TIMEOUT 300)
endforeach()

# CRLF input (every format and tokenizer: the same ids as the LF twin, counted, --keep-cr) and the
# bounded per-label summary of 2000 long labels.
foreach(group crlf long_labels)
  add_test(NAME prep_${group}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_prep_crlf.sh $<TARGET_FILE:drnn-prep>
                   $<TARGET_FILE:prep_check> ${group})
  set_tests_properties(prep_${group} PROPERTIES LABELS "integration;prep" TIMEOUT 300)
endforeach()

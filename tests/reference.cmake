# PyTorch reference tests (include()d from tests/CMakeLists.txt). Each needs /usr/bin/python3 with
# torch and h5py (python3-torch, python3-h5py); without them the test fails with that message
# rather than skipping. tests/refutil.c: reading case files and comparing, shared by both.
add_library(drnn_refutil STATIC refutil.c)
target_link_libraries(drnn_refutil PUBLIC drnn_model drnn_io)

# ref_lm: test_reference replays the cases written by reference/lm_reference.py through drnn's LM
# and encoder stack and compares loss, final state and every gradient.
add_executable(test_reference test_reference.c)
target_link_libraries(test_reference drnn_refutil)
add_test(NAME ref_lm
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_reference>)
set_tests_properties(ref_lm PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_classifier: test_ref_classifier replays the cases written by
# reference/classifier_reference.py through model/classifier.h (every cell x 1, 2 layers x uni/bi x
# pool last/mean/max): summed loss, class probabilities, every gradient of the sum and the mean.
add_executable(test_ref_classifier test_ref_classifier.c)
target_link_libraries(test_ref_classifier drnn_refutil)
add_test(NAME ref_classifier
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_ref_classifier> classifier_reference.py)
set_tests_properties(ref_classifier PROPERTIES LABELS "reference" TIMEOUT 300)

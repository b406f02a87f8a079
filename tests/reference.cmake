# PyTorch reference test (include()d from tests/CMakeLists.txt): test_reference replays the
# cases written by reference/lm_reference.py through drnn's LM and compares loss, final state
# and every gradient. Needs /usr/bin/python3 with torch and h5py (python3-torch, python3-h5py);
# without them the test fails with that message rather than skipping.
add_executable(test_reference test_reference.c)
target_link_libraries(test_reference drnn_model drnn_io)
add_test(NAME ref_lm
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_reference>)
set_tests_properties(ref_lm PROPERTIES LABELS "reference" TIMEOUT 300)

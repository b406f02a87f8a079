# PyTorch reference tests (include()d from tests/CMakeLists.txt). Each needs /usr/bin/python3 with
# torch and h5py (python3-torch, python3-h5py); without them the test fails with that message
# rather than skipping. tests/refutil.c: reading case files and comparing, shared by all of them.
add_library(drnn_refutil STATIC refutil.c)
target_link_libraries(drnn_refutil PUBLIC drnn_model drnn_io)

# ref_lm: test_reference replays the cases written by reference/lm_reference.py through drnn's LM
# and encoder stack and compares loss, final state and every gradient; residual stacks (2, 3
# layers) against reference/residual_rnn.py too.
add_executable(test_reference test_reference.c)
target_link_libraries(test_reference drnn_refutil)
add_test(NAME ref_lm
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_reference>)
set_tests_properties(ref_lm PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_adaptive: the same replay on reference/adaptive_reference.py's cases: the LM with
# nn.AdaptiveLogSoftmaxWithLoss (head_bias=False) as decoder, every cell x 1, 2 layers, 1-3 tail
# clusters, a fractional div_value, a cluster without targets: loss, every gradient, log_prob.
add_test(NAME ref_adaptive
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_reference> adaptive_reference.py)
set_tests_properties(ref_adaptive PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_classifier: test_ref_classifier replays the cases written by
# reference/classifier_reference.py through model/classifier.h (every cell x 1, 2 layers x uni/bi x
# pool last/mean/max; residual: rnn, gru, lstm x 2, 3 layers x uni/bi x every pool): summed loss,
# class probabilities, every gradient of the sum and the mean.
add_executable(test_ref_classifier test_ref_classifier.c)
target_link_libraries(test_ref_classifier drnn_refutil)
add_test(NAME ref_classifier
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_ref_classifier> classifier_reference.py)
set_tests_properties(ref_classifier PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_tagger: test_ref_tagger replays the cases written by reference/tagger_reference.py through
# model/tagger.h (every cell x 1, 2 layers x uni/bi, edge batches; residual: rnn, gru, lstm x 2, 3
# layers x uni/bi): summed loss, tag probabilities at the real positions, every gradient of the sum
# and of the token mean, and drnn's gradient against central finite differences of its own forward
# on one tensor per case.
add_executable(test_ref_tagger test_ref_tagger.c)
target_link_libraries(test_ref_tagger drnn_refutil)
add_test(NAME ref_tagger
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_ref_tagger> tagger_reference.py)
set_tests_properties(ref_tagger PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_seq2seq: test_ref_seq2seq replays the files written by reference/seq2seq_reference.py
# through model/seq2seq.h and model/search.h (rnn, gru, lstm x 1, 2 layers x uni/bi x attention
# dot/general where valid, rnn_relu, edge batches; residual encoder and decoder: gru, lstm x 2, 3
# layers x uni/bi): summed loss, probabilities, attention, every gradient of the sum and of the
# token mean, the one-step decoder; greedy and beam search (K = 1, 3, 5, length penalty 0 and 1,
# n_best) token for token, with scores and attention.
add_executable(test_ref_seq2seq test_ref_seq2seq.c)
target_link_libraries(test_ref_seq2seq drnn_refutil)
add_test(NAME ref_seq2seq
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_ref_seq2seq> seq2seq_reference.py)
set_tests_properties(ref_seq2seq PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_optim: test_ref_optim replays reference/optim_reference.py's fixed gradients through
# trainer/optim.h: SGD (momentum, weight decay), Adam (L2) and AdamW against torch.optim.
add_executable(test_ref_optim test_ref_optim.c)
target_link_libraries(test_ref_optim drnn_refutil drnn_trainer)
add_test(NAME ref_optim
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_ref_optim> optim_reference.py)
set_tests_properties(ref_optim PROPERTIES LABELS "reference" TIMEOUT 300)

# ref_self_attn: test_ref_self_attn replays the cases written by reference/self_attn_reference.py
# through model/self_attn.h (nn.MultiheadAttention + residual + nn.LayerNorm with a key padding
# mask; D 8, 12 x heads 1, 2, 4, edge batches): z and the head-averaged weights at the real
# positions, every gradient and d/dy, again with NaN at the padded positions of y.
add_executable(test_ref_self_attn test_ref_self_attn.c)
target_link_libraries(test_ref_self_attn drnn_refutil)
add_test(NAME ref_self_attn
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reference.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          $<TARGET_FILE:test_ref_self_attn> self_attn_reference.py)
set_tests_properties(ref_self_attn PROPERTIES LABELS "reference" TIMEOUT 300)

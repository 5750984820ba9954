// The table of this instruction set's kernels (one copy per BERT_NS).
#include "bert/kernels.h"

#include <type_traits>

namespace bert {
namespace BERT_NS {

#define BERT_KERNEL_LIST(X)                                                                        \
  X(gemm) X(bias_backward) X(attention_forward) X(attention_backward) X(layernorm_forward)        \
  X(layernorm_backward) X(residual_layernorm_forward) X(bias_gelu_forward) X(gelu_backward)       \
  X(tanh_forward) X(tanh_backward) X(dropout_forward) X(dropout_backward) X(embedding_forward)    \
  X(embedding_backward) X(softmax_cross_entropy) X(softmax_forward) X(bce_with_logits) X(mse)     \
  X(adamw) X(sum_squares)

// Declarations: each has the type of its table slot.
#define BERT_DECLARE(name) std::remove_pointer_t<decltype(KernelTable::name)> name;
BERT_KERNEL_LIST(BERT_DECLARE)
#undef BERT_DECLARE

}  // namespace BERT_NS

#define BERT_STR2(x) #x
#define BERT_STR(x) BERT_STR2(x)
#define BERT_CAT2(a, b) a##b
#define BERT_CAT(a, b) BERT_CAT2(a, b)

const KernelTable* BERT_CAT(kernel_table_, BERT_NS)() {
#define BERT_SLOT(name) t.name = &BERT_NS::name;
  static const KernelTable table = [] {
    KernelTable t{};
    t.isa = BERT_STR(BERT_NS);
    BERT_KERNEL_LIST(BERT_SLOT)
    return t;
  }();
#undef BERT_SLOT
  return &table;
}

}  // namespace bert

// io/spm.cc — the C interface of io/spm.h over the SentencePiece library; the only C++ file.
#include "io/spm.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

struct spm {
    sentencepiece::SentencePieceProcessor proc;
    std::string bytes;
};

namespace {

int fail(char *err, size_t errlen, int code, const std::string &msg) {
    std::snprintf(err, errlen, "%s", msg.c_str());
    return code;
}

// A serialized ModelProto starts with field 1 (pieces, length-delimited): tag byte 0x0a. The
// library accepts many byte strings as an (empty) proto, so a model must also have pieces.
int load_bytes(std::string bytes, const char *what, spm_t **out, char *err, size_t errlen) {
    spm_t *m = new (std::nothrow) spm_t;
    if (!m) return fail(err, errlen, 70, "out of memory loading a SentencePiece model");
    m->bytes = std::move(bytes);
    const auto st = m->bytes.empty() || m->bytes[0] != '\x0a'
                        ? sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal,
                                                      "it does not start like one")
                        : m->proc.LoadFromSerializedProto(m->bytes);
    if (!st.ok() || m->proc.GetPieceSize() < 1) {
        delete m;
        return fail(err, errlen, 65,
                    std::string(what) + " is not a SentencePiece model (" +
                        (st.ok() ? std::string("no pieces") : st.ToString()) +
                        "); give a .model file written by spm_train or drnn-prep");
    }
    *out = m;
    return 0;
}

// Sentences from the C callback, for the trainer.
class CallbackIterator : public sentencepiece::SentenceIterator {
  public:
    CallbackIterator(spm_next_fn next, void *arg, const char *err)
        : next_(next), arg_(arg), err_(err) {
        Next();
    }
    bool done() const override { return done_; }
    void Next() override {
        const char *line = nullptr;
        size_t len = 0;
        int rc = next_(arg_, &line, &len);
        if (rc == 1) {
            value_.assign(line, len);
            return;
        }
        done_ = true;
        if (rc < 0)
            status_ = sentencepiece::util::Status(sentencepiece::util::StatusCode::kDataLoss, err_);
    }
    const std::string &value() const override { return value_; }
    sentencepiece::util::Status status() const override { return status_; }
    bool failed() const { return !status_.ok(); }

  private:
    spm_next_fn next_;
    void *arg_;
    const char *err_; /* where NEXT leaves its message */
    bool done_ = false;
    std::string value_;
    sentencepiece::util::Status status_;
};

} // namespace

extern "C" {

int spm_load(const void *bytes, size_t len, const char *what, spm_t **out, char *err,
             size_t errlen) {
    try {
        return load_bytes(std::string(static_cast<const char *>(bytes), len), what, out, err,
                          errlen);
    } catch (const std::bad_alloc &) {
        return fail(err, errlen, 70, "out of memory loading a SentencePiece model");
    }
}

int spm_load_file(const char *path, spm_t **out, char *err, size_t errlen) {
    try {
        std::ifstream f(path, std::ios::binary);
        if (!f)
            return fail(err, errlen, 66,
                        std::string("cannot open '") + path + "': " + std::strerror(errno));
        std::ostringstream s;
        s << f.rdbuf();
        if (f.bad()) return fail(err, errlen, 74, std::string("cannot read '") + path + "'");
        return load_bytes(s.str(), (std::string("'") + path + "'").c_str(), out, err, errlen);
    } catch (const std::bad_alloc &) {
        return fail(err, errlen, 70, "out of memory loading a SentencePiece model");
    }
}

void spm_free(spm_t *m) {
    delete m;
}

const void *spm_bytes(const spm_t *m, size_t *len) {
    *len = m->bytes.size();
    return m->bytes.data();
}

size_t spm_size(const spm_t *m) {
    return static_cast<size_t>(m->proc.GetPieceSize());
}

const char *spm_piece(const spm_t *m, size_t id) {
    return m->proc.IdToPiece(static_cast<int>(id)).c_str();
}

int spm_unk_id(const spm_t *m) {
    return m->proc.unk_id();
}
int spm_bos_id(const spm_t *m) {
    return m->proc.bos_id();
}
int spm_eos_id(const spm_t *m) {
    return m->proc.eos_id();
}
int spm_pad_id(const spm_t *m) {
    return m->proc.pad_id();
}

int spm_encode(const spm_t *m, const char *text, size_t len, spm_piece_fn fn, void *arg) {
    try {
        std::vector<std::string> pieces;
        if (!m->proc.Encode(absl::string_view(text, len), &pieces).ok()) return -1;
        for (const auto &p : pieces) {
            int rc = fn(arg, p.data(), p.size());
            if (rc) return rc;
        }
        return 0;
    } catch (const std::bad_alloc &) {
        return -1;
    }
}

char *spm_decode(const spm_t *m, const char *const *pieces, size_t n, size_t *len) {
    try {
        std::vector<std::string> in(pieces, pieces + n);
        std::string text;
        if (!m->proc.Decode(in, &text).ok()) return nullptr;
        char *out = static_cast<char *>(std::malloc(text.size() + 1));
        if (!out) return nullptr;
        std::memcpy(out, text.data(), text.size());
        out[text.size()] = '\0';
        *len = text.size();
        return out;
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}

int spm_train(const char *args, spm_next_fn next, void *arg, spm_t **out, char *err,
              size_t errlen) {
    try {
        err[0] = '\0';
        CallbackIterator it(next, arg, err);
        std::string model;
        const auto st = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
        if (it.failed()) return 65;
        if (!st.ok())
            return fail(err, errlen, 64, "SentencePiece training failed: " + st.ToString());
        return load_bytes(std::move(model), "the trained model", out, err, errlen);
    } catch (const std::bad_alloc &) {
        return fail(err, errlen, 70, "out of memory training a SentencePiece model");
    }
}

} // extern "C"

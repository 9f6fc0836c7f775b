// libgit2 handles owned by std::unique_ptr with one deleter struct (style rule 6), the library's
// init/shutdown guard, and the check helper every libgit2 call goes through (style rule 5: the call,
// file and line plus git_error_last()). Private to ingest: included only by .cpp files.
#pragma once

#include <git2.h>

#include <QString>

#include <memory>

namespace folio::ingest::git {

struct Deleter
{
    void operator()(git_repository *p) const { git_repository_free(p); }
    void operator()(git_object *p) const { git_object_free(p); }
    void operator()(git_commit *p) const { git_commit_free(p); }
    void operator()(git_tree *p) const { git_tree_free(p); }
    void operator()(git_blob *p) const { git_blob_free(p); }
    void operator()(git_odb *p) const { git_odb_free(p); }
    void operator()(git_odb_object *p) const { git_odb_object_free(p); }
    void operator()(git_reference *p) const { git_reference_free(p); }
    void operator()(git_remote *p) const { git_remote_free(p); }
    void operator()(git_submodule *p) const { git_submodule_free(p); }
    void operator()(git_status_list *p) const { git_status_list_free(p); }
    void operator()(git_index *p) const { git_index_free(p); }
    void operator()(git_signature *p) const { git_signature_free(p); }
    void operator()(git_config *p) const { git_config_free(p); }
};

template<class T>
using Ptr = std::unique_ptr<T, Deleter>;

// Keeps libgit2 initialised while any instance lives (git_libgit2_init is reference counted).
// Object reads skip libgit2's re-hash of every object (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION,
// a process-wide setting; only ingest uses libgit2): git itself does not re-hash on read either
// (`git archive`, the baseline, does not), zlib's checksum still rejects damaged object data
// (tst_git_source flips bytes in a pack: damaged blobs are reported, the rest reads intact; only a
// damaged delta-base offset that lands on another object of exactly the base's size would pass,
// as in git), and the SHA-1 (collision-detecting) pass was a quarter of the CPU time of a read.
class Library
{
public:
    Library()
    {
        git_libgit2_init();
        git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    }
    ~Library() { git_libgit2_shutdown(); }
    Library(const Library &) = delete;
    Library &operator=(const Library &) = delete;
};

// The outcome of one checked call: rc < 0 is a failure with its message.
struct Check
{
    int rc = 0;
    QString message; // "git_repository_open failed (-3): could not find repository at '/x'"

    explicit operator bool() const { return rc >= 0; }
};

// Reports a failed call with its name, file and line to the folio.ingest log and returns the
// readable message. Used through FOLIO_GIT below; never call with rc >= 0.
Check failure(int rc, const char *call, const char *file, int line);

inline Check check(int rc, const char *call, const char *file, int line)
{
    return rc >= 0 ? Check{rc, {}} : failure(rc, call, file, line);
}

// The 40-hex id of an object.
QString oidHex(const git_oid &oid);

} // namespace folio::ingest::git

// FOLIO_GIT(git_x(...)) → git::Check. The stringised call names the function in the message.
#define FOLIO_GIT(call) ::folio::ingest::git::check((call), #call, __FILE__, __LINE__)

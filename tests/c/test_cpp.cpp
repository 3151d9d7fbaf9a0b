// The header from C++17: RAII wrappers over the handles, a captureless lambda as the progress
// callback, std::string copies of borrowed strings, std::thread sharing one client.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "test_util.h"

static_assert(IMS_OK == 0, "IMS_OK is 0");
// Results, states and algorithms are fixed-width integers (not C enums, whose width the compiler
// picks), with the constants keeping their values.
static_assert(std::is_same<ims_result, int32_t>::value, "ims_result is int32_t");
static_assert(std::is_same<ims_job_state, uint32_t>::value, "ims_job_state is uint32_t");
static_assert(std::is_same<ims_algorithm, uint32_t>::value, "ims_algorithm is uint32_t");
static_assert(std::is_same<decltype(ims_wait_job(nullptr, nullptr, nullptr, nullptr, nullptr,
                                                 nullptr)),
                           ims_result>::value,
              "calls return ims_result");
static_assert(std::is_same<decltype(ims_job_get_state(nullptr)), ims_job_state>::value,
              "ims_job_get_state returns ims_job_state");
static_assert(IMS_ERR_VALIDATION == 3 && IMS_ERR_QUOTA == 19 && IMS_JOB_SUCCESS == 2 &&
                  IMS_JOB_UNKNOWN == 4 && IMS_ALGORITHM_V11_HMAC_SHA256 == 2,
              "the constants keep their values");
static_assert(std::is_standard_layout<ims_wait_options>::value, "plain C struct");
static_assert(offsetof(ims_wait_options, struct_size) == 0, "struct_size comes first");
static_assert(sizeof(ims_wait_options) == 2 * sizeof(uint32_t) + 4 * sizeof(uint64_t) +
                                              2 * sizeof(double),
              "no padding surprises");

namespace {

struct ClientDeleter {
    void operator()(ims_client *c) const { ims_client_free(c); }
};
struct RequestDeleter {
    void operator()(ims_request *r) const { ims_request_free(r); }
};
struct JobDeleter {
    void operator()(ims_job *j) const { ims_job_free(j); }
};
struct StringDeleter {
    void operator()(char *s) const { ims_string_free(s); }
};

using Client = std::unique_ptr<ims_client, ClientDeleter>;
using Request = std::unique_ptr<ims_request, RequestDeleter>;
using Job = std::unique_ptr<ims_job, JobDeleter>;
using String = std::unique_ptr<char, StringDeleter>;

std::string text(const char *s) { return s != nullptr ? std::string(s) : std::string(); }

Client g_client;

String create(const char *name) {
    ims_request *raw = nullptr;
    CHECK_OK(ims_request_new_ecs(name, "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
                                 "de9fcf45-11b2-432c-8562-5c5428574600", &raw));
    Request req(raw);
    char *job_id = nullptr;
    CHECK_OK(ims_create_whole_image(g_client.get(), req.get(), &job_id));
    return String(job_id);
}

void raii_create_and_wait_with_lambda() {
    String job_id = create("cpp-test-wait");
    CHECK(job_id != nullptr);
    std::vector<double> seen;
    ims_wait_options w = fast_wait(100, 60000);
    ims_job *raw = nullptr;
    ims_result rc = ims_wait_job(
        g_client.get(), job_id.get(), &w,
        [](const ims_progress *p, void *user_data) -> int {
            static_cast<std::vector<double> *>(user_data)->push_back(p->percent);
            return 0;
        },
        &seen, &raw);
    Job job(raw);
    CHECK(rc == IMS_OK);
    CHECK(ims_job_get_state(job.get()) == IMS_JOB_SUCCESS);
    CHECK(text(ims_job_get_id(job.get())) == text(job_id.get()));
    CHECK(text(ims_job_get_image_id(job.get())).size() == 36);
    CHECK(!seen.empty());
    CHECK(!seen.empty() && seen.back() == 100.0);
}

void errors_read_from_cpp() {
    ims_job *raw = nullptr;
    CHECK_RC(ims_job_status(g_client.get(), "ffffffffffffffffffffffffffffffff", &raw), IMS_ERR_API);
    CHECK(raw == nullptr);
    std::string code = text(ims_last_error_code());
    std::string request_id = text(ims_last_error_request_id());
    CHECK(code == "IMG.0404");
    CHECK(!request_id.empty());
    CHECK(ims_last_error_status() == 404);
    CHECK(std::string(ims_result_str(ims_last_error_kind())) == "api");
}

void threads_share_the_client() {
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++) {
        threads.emplace_back([&ok, i] {
            std::string name = "cpp-thread-" + std::to_string(i);
            ims_request *raw = nullptr;
            if (ims_request_new_ecs(name.c_str(), "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
                                    "de9fcf45-11b2-432c-8562-5c5428574600", &raw) != IMS_OK) {
                return;
            }
            Request req(raw);
            char *job_id = nullptr;
            if (ims_create_whole_image(g_client.get(), req.get(), &job_id) == IMS_OK) {
                String owned(job_id);
                ims_job *job = nullptr;
                if (ims_job_status(g_client.get(), owned.get(), &job) == IMS_OK) {
                    Job j(job);
                    if (text(ims_job_get_id(j.get())) == owned.get()) {
                        ok++;
                    }
                }
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    CHECK(ok.load() == 4);
}

}  // namespace

int main() {
    g_program = "test_cpp";
    g_client.reset(test_client(env("IMS_TEST_ENDPOINT"), nullptr));
    if (!g_client) {
        std::fprintf(stdout, "FAIL test_cpp: cannot make the client\n");
        return 1;
    }
    RUN(raii_create_and_wait_with_lambda);
    RUN(errors_read_from_cpp);
    RUN(threads_share_the_client);
    g_client.reset();
    return finish();
}

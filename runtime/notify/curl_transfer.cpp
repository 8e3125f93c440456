#include "runtime/notify/curl_transfer.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include <curl/curl.h>
#include <caf/sec.hpp>

namespace ordernode {

namespace {

constexpr size_t max_kept_response = 512;

void global_init() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class easy_handle {
public:
  easy_handle() {
    global_init();
    hdl_ = curl_easy_init();
    error_[0] = '\0';
  }

  easy_handle(const easy_handle&) = delete;
  easy_handle& operator=(const easy_handle&) = delete;

  ~easy_handle() {
    if (hdl_ != nullptr)
      curl_easy_cleanup(hdl_);
    if (list_ != nullptr)
      curl_slist_free_all(list_);
  }

  CURL* get() const {
    return hdl_;
  }

  // Adds to the one string list this transfer uses (headers or recipients).
  curl_slist* append(const std::string& x) {
    list_ = curl_slist_append(list_, x.c_str());
    return list_;
  }

  void prepare(const std::string& url, const char* protocols, const transfer_timeouts& t) {
    curl_easy_setopt(hdl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(hdl_, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(hdl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(hdl_, CURLOPT_CONNECTTIMEOUT_MS, millis(t.connect));
    curl_easy_setopt(hdl_, CURLOPT_TIMEOUT_MS, millis(t.total));
    curl_easy_setopt(hdl_, CURLOPT_ERRORBUFFER, error_);
  }

  // The reason of a failed transfer, as detailed as curl tells it.
  std::string reason(CURLcode rc) const {
    return error_[0] != '\0' ? std::string{error_} : std::string{curl_easy_strerror(rc)};
  }

  long response_code() const {
    long code = 0;
    curl_easy_getinfo(hdl_, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }

private:
  static long millis(caf::timespan x) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
    return static_cast<long>(std::max<decltype(ms)>(ms, 1));
  }

  CURL* hdl_ = nullptr;
  curl_slist* list_ = nullptr;
  char error_[CURL_ERROR_SIZE];
};

caf::error fail(const std::string& channel, const std::string& what) {
  return caf::make_error(caf::sec::runtime_error, channel + ": " + what);
}

size_t keep_response(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  auto bytes = size * n;
  if (out->size() < max_kept_response)
    out->append(data, std::min(bytes, max_kept_response - out->size()));
  return bytes;
}

struct upload {
  const std::string* data;
  size_t pos;
};

size_t read_upload(char* buf, size_t size, size_t n, void* user) {
  auto* in = static_cast<upload*>(user);
  auto bytes = std::min(size * n, in->data->size() - in->pos);
  std::memcpy(buf, in->data->data() + in->pos, bytes);
  in->pos += bytes;
  return bytes;
}

std::string one_line(std::string x) {
  for (auto& c : x)
    if (c == '\r' || c == '\n' || c == '\t')
      c = ' ';
  return x;
}

}  // namespace

std::string redacted(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return "(invalid URL)";
  auto host_begin = scheme_end + 3;
  auto host_end = url.find_first_of("/?#", host_begin);
  auto authority = url.substr(
    host_begin, host_end == std::string::npos ? std::string::npos : host_end - host_begin);
  auto at = authority.rfind('@');
  if (at != std::string::npos)
    authority.erase(0, at + 1);
  return url.substr(0, host_begin) + authority;
}

caf::error post_json(const std::string& channel, const std::string& url, const std::string& json,
                     const transfer_timeouts& timeouts) {
  easy_handle curl;
  if (curl.get() == nullptr)
    return fail(channel, "cannot initialize libcurl");
  curl.prepare(url, "http,https", timeouts);
  curl.append("Content-Type: application/json");
  auto* headers = curl.append("Expect:");
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, json.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(json.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, keep_response);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  if (auto rc = curl_easy_perform(curl.get()); rc != CURLE_OK)
    return fail(channel, "cannot post to " + redacted(url) + ": " + curl.reason(rc));
  auto code = curl.response_code();
  if (code < 200 || code > 299) {
    auto what = "HTTP " + std::to_string(code) + " from " + redacted(url);
    if (!response.empty())
      what += ": " + one_line(response);
    return fail(channel, what);
  }
  return caf::none;
}

caf::error send_mail(const std::string& channel, const std::string& url, const std::string& from,
                     const std::vector<std::string>& to, const std::string& message,
                     const transfer_timeouts& timeouts) {
  easy_handle curl;
  if (curl.get() == nullptr)
    return fail(channel, "cannot initialize libcurl");
  curl.prepare(url, "smtp,smtps", timeouts);
  curl_slist* recipients = nullptr;
  for (auto& x : to)
    recipients = curl.append("<" + x + ">");
  upload in{&message, 0};
  auto sender = "<" + from + ">";
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, sender.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &in);
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  if (auto rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
    auto what = "cannot send mail via " + redacted(url) + ": " + curl.reason(rc);
    if (auto code = curl.response_code(); code >= 400)
      what += " (server replied " + std::to_string(code) + ")";
    return fail(channel, what);
  }
  return caf::none;
}

}  // namespace ordernode

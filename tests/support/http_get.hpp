// Test support: a blocking HTTP request over libcurl: status and body, or the transfer error.
#pragma once

#include <curl/curl.h>

#include <cctype>
#include <string>

namespace ordernode::test {

struct curl_reply {
  long status = 0;   // 0 when the transfer failed.
  std::string body;  // The error message when the transfer failed.
};

inline curl_reply http_request(const std::string& url, const std::string& method = "GET",
                               const std::string& body = "", long timeout_ms = 5000) {
  curl_reply result;
  auto* curl = curl_easy_init();
  if (curl == nullptr)
    return {0, "curl_easy_init failed"};
  auto write = +[](char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  }
  auto rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  } else {
    result.status = 0;
    result.body = curl_easy_strerror(rc);
  }
  curl_easy_cleanup(curl);
  return result;
}

inline curl_reply http_get(const std::string& url) {
  return http_request(url);
}

// `x` with every character but [A-Za-z0-9-_.~] percent-encoded, for a query parameter.
inline std::string url_encode(const std::string& x) {
  static const char* hex = "0123456789ABCDEF";
  std::string result;
  for (unsigned char c : x) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      result += static_cast<char>(c);
    } else {
      result += '%';
      result += hex[c >> 4];
      result += hex[c & 15];
    }
  }
  return result;
}

}  // namespace ordernode::test

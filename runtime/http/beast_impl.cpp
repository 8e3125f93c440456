// The compiled parts of Asio and Beast, built once for everything that links ordernode_http.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>

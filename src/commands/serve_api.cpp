// The HTTP side of `ctrace serve`: routes and handlers over the recordings the daemon holds
// (/list /add /dump /close /metrics, and traceloop's requests as its README and traceloopctl
// write them: ids, cgrouppath=, /dump-by-name, /dump-by-cgroup, /close-by-name, GET or POST
// without a body, /list in traceloop's text unless format=json). The recordings come from a
// RecorderFactory: the kernel's in serve.cpp.
#include "ctrace/commands/serve_api.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>

#include "ctrace/commands/command.hpp"
#include "ctrace/commands/dump.hpp"
#include "ctrace/commands/http_server.hpp"
#include "ctrace/commands/postmortem.hpp"
#include "ctrace/commands/serve_protocol.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/output/metrics.hpp"

namespace ctrace::commands {

namespace {

using nlohmann::ordered_json;

// A request's path or parameters can hold any bytes, and errors quote them: bytes that are not
// UTF-8 become U+FFFD instead of an exception that would end the daemon (thrown in httplib's
// error handler, nothing catches it).
std::string json_text(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

struct Trace {
  uint32_t id;  // traceloop's numeric id: 0 for the first trace, never reused
  std::string name;
  target::Target target;
  std::unique_ptr<probe::TraceRecorder> recorder;
  std::string listed_path;  // the cgroup of its text /list line (text_list_path())
  bool adopted = false;     // serve --record-all's, not /add's: not under kMaxTraces
};

// The cgroup of a text /list line: traceloop prints the cgrouppath= of the request as it came,
// and traceloopctl's users compare it with their own current-cgroup; cgroup= and cgroup_id=
// (ctrace's) print the directory. A path with a control character (a line break would forge
// lines) prints as the directory too.
std::string text_list_path(const std::string& cgrouppath, const target::Target& t) {
  bool plain = !cgrouppath.empty() && std::none_of(cgrouppath.begin(), cgrouppath.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  return plain ? cgrouppath : t.cgroup_dir.string();
}

// An HTTP error: status and message, answered as {"error": message}.
struct HttpError {
  int status;
  std::string message;
};
// The HTTP side of the daemon: its routes and handlers over the recordings it holds.
class Daemon final : public ServeApi, public output::MetricsSource {
 public:
  Daemon(target::CgroupFs cgroup_fs, enrich::SyscallFormats formats, ServeApiOptions opts,
         RecorderFactory make_recorder)
      : cgroup_fs_(std::move(cgroup_fs)),
        formats_(std::move(formats)),
        default_size_(opts.default_size),
        string_size_(opts.string_size),
        make_recorder_(std::move(make_recorder)) {
    exporter_.add(*this);
    if (!opts.postmortem_dir.empty()) postmortems_.emplace(opts.postmortem_dir, PostmortemLimits{});
  }

  output::MetricsExporter& exporter() override { return exporter_; }

  size_t close_all() override {
    std::lock_guard lock(mutex_);
    size_t n = traces_.size();
    traces_.clear();
    order_.clear();
    return n;
  }

  std::string adopt(const std::string& wanted, const target::Target& target,
                    std::unique_ptr<probe::TraceRecorder> recorder) override {
    std::lock_guard lock(mutex_);
    std::string name = valid_trace_name(wanted) ? wanted : fmt::format("cgroup.{}", target.cgroup_id);
    if (traces_.count(name)) name += fmt::format(".{}", target.cgroup_id);
    auto t = std::make_shared<Trace>(Trace{next_id_++, name, target, std::move(recorder), target.cgroup_dir.string(), true});
    traces_[name] = t;
    order_.push_back(name);
    spdlog::info("recording {} as {} (id {})", target.cgroup_path, name, t->id);
    return name;
  }

  bool drop(const std::string& name) override {
    std::lock_guard lock(mutex_);
    auto it = traces_.find(name);
    if (it == traces_.end()) return false;
    traces_.erase(it);
    order_.erase(std::find(order_.begin(), order_.end(), name));
    return true;
  }

  void routes(SocketHttpServer& s) override {
    s.Get("/list", guarded([this](const httplib::Request& req, httplib::Response& res) { list(req, res); }));
    both(s, "/add", [this](const httplib::Request& req, httplib::Response& res) { add(req, res); });
    s.Get("/dump", guarded([this](const httplib::Request& req, httplib::Response& res) {
            dump(*find(req), req, res);
          }));
    s.Get("/dump-by-name", guarded([this](const httplib::Request& req, httplib::Response& res) {
            dump(*find(name_param(req)), req, res);
          }));
    s.Get("/dump-by-cgroup", guarded([this](const httplib::Request& req, httplib::Response& res) {
            dump(*find_by_cgroup(req), req, res);
          }));
    both(s, "/close", [this](const httplib::Request& req, httplib::Response& res) { close(req, res); });
    both(s, "/close-by-name", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_param("id")) throw HttpError{400, "/close-by-name takes name=, not id=: use /close?id="};
      close(req, res);
    });
    s.Get("/metrics", guarded([this](const httplib::Request&, httplib::Response& res) { metrics(res); }));
    s.Get("/postmortems", guarded([this](const httplib::Request&, httplib::Response& res) {
            reply(res, 200, {{"postmortems", store().list()}});
          }));
    s.Get("/postmortem", guarded([this](const httplib::Request& req, httplib::Response& res) { postmortem(req, res); }));
    // Unknown paths and httplib's own 4xx (bad request line, too large) get a JSON body that
    // says what was wrong; our handlers' errors already carry one.
    s.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          res.set_content(json_text({{"error", http_error_message(req, res.status)}}), "application/json");
          return httplib::Server::HandlerResponse::Handled;
        }));
  }

 private:
  template <typename F>
  static httplib::Server::Handler guarded(F f) {
    return [f](const httplib::Request& req, httplib::Response& res) {
      try {
        f(req, res);
      } catch (const HttpError& e) {
        reply_error(res, e.status, e.message);
      } catch (const UsageError& e) {
        reply_error(res, 400, e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, e.what());
      }
    };
  }

  static void reply_error(httplib::Response& res, int status, const std::string& msg) {
    res.status = status;
    res.set_content(json_text({{"error", msg}}), "application/json");
  }

  static void reply(httplib::Response& res, int status, const ordered_json& j) {
    res.status = status;
    res.set_content(json_text(j) + "\n", "application/json");
  }

  static std::string param(const httplib::Request& req, const std::string& key, bool required = true) {
    if (req.get_param_value_count(key) > 1) throw HttpError{400, "parameter '" + key + "' given twice"};
    if (!req.has_param(key)) {
      if (required) throw HttpError{400, "missing parameter '" + key + "'"};
      return {};
    }
    return req.get_param_value(key);
  }

  static std::string name_param(const httplib::Request& req) {
    std::string name = param(req, "name");
    if (!valid_trace_name(name))
      throw HttpError{400, "invalid name: 1-128 characters among A-Z a-z 0-9 _ . @ : - (no path characters)"};
    return name;
  }

  std::shared_ptr<Trace> find(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = traces_.find(name);
    if (it == traces_.end()) throw HttpError{404, "no trace named '" + name + "'"};
    return it->second;
  }

  static uint32_t id_param(const httplib::Request& req) {
    std::string s = param(req, "id");
    try {
      size_t pos = 0;
      unsigned long v = std::stoul(s, &pos);
      if (pos == s.size() && v <= UINT32_MAX && std::isdigit(static_cast<unsigned char>(s[0])))
        return static_cast<uint32_t>(v);
    } catch (const std::exception&) {
    }
    throw HttpError{400, "id must be a trace's number as /list shows it, not '" + s + "'"};
  }

  // The trace named by name= or id= (exactly one of them). Called with mutex_ held.
  std::map<std::string, std::shared_ptr<Trace>>::iterator find_locked(const httplib::Request& req) {
    if (req.has_param("name") == req.has_param("id"))
      throw HttpError{400, "give exactly one of name= and id="};
    if (req.has_param("name")) {
      std::string name = name_param(req);
      auto it = traces_.find(name);
      if (it == traces_.end()) throw HttpError{404, "no trace named '" + name + "'"};
      return it;
    }
    uint32_t id = id_param(req);
    for (auto it = traces_.begin(); it != traces_.end(); ++it)
      if (it->second->id == id) return it;
    throw HttpError{404, fmt::format("no trace with id {}", id)};
  }

  std::shared_ptr<Trace> find(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    return find_locked(req)->second;
  }

  // traceloop's /dump-by-cgroup?cgroup=ABSPATH: the first trace (in /list order) of that cgroup.
  std::shared_ptr<Trace> find_by_cgroup(const httplib::Request& req) {
    std::string path = param(req, "cgroup");
    target::TargetOptions opts;
    opts.cgroup = path;
    uint64_t id = target::resolve(opts, cgroup_fs_).cgroup_id;
    std::lock_guard lock(mutex_);
    for (const auto& name : order_)
      if (traces_.at(name)->target.cgroup_id == id) return traces_.at(name);
    throw HttpError{404, "no trace records the cgroup '" + path + "'"};
  }

  void dump(const Trace& t, const httplib::Request& req, httplib::Response& res) {
    std::string format = param(req, "format", false);
    if (!format.empty() && format != "json" && format != "text")
      throw HttpError{400, "format must be text or json, not '" + format + "'"};
    std::string ts = param(req, "timestamps", false);
    auto stamps = enrich::TimestampFormat::Relative;
    if (!ts.empty()) {
      if (ts != "relative" && ts != "wall" && ts != "mono")
        throw HttpError{400, "timestamps must be relative, wall or mono, not '" + ts + "'"};
      stamps = enrich::parse_timestamp_format(ts);
    }
    auto d = t.recorder->dump();
    enrich::TraceContext ctx{names_, formats_, t.recorder->start_ns(), stamps, wall_};
    bool json = format == "json";
    res.status = 200;
    res.set_content(
        render_dump(json ? output::Format::Json : output::Format::Text, d.summary(), d.events, ctx),
        json ? "application/x-ndjson" : "text/plain; charset=utf-8");
  }

  void close(const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<Trace> t;
    {
      std::lock_guard lock(mutex_);
      auto it = find_locked(req);
      t = std::move(it->second);
      traces_.erase(it);
      order_.erase(std::find(order_.begin(), order_.end(), t->name));
    }
    spdlog::info("closed trace {} (id {})", t->name, t->id);
    reply(res, 200, {{"closed", t->name}, {"id", t->id}});
  }

  // GET and POST: traceloop's clients use GET for every request, curl -X POST sends no body.
  template <typename F>
  void both(SocketHttpServer& s, const std::string& path, F f) {
    s.Get(path, guarded(f));
    s.Post(path, guarded(f));
  }

  static std::string http_error_message(const httplib::Request& req, int status) {
    switch (status) {
      case 404:
        return fmt::format(
            "no route {} {}: use /list, /add, /dump, /dump-by-name, /dump-by-cgroup, /close, "
            "/close-by-name, /metrics, /postmortems or /postmortem",
            req.method, req.path);
      case 405:
        return fmt::format("method {} not allowed on {}", req.method, req.path);
      case 413:
        return fmt::format("request body larger than {} bytes", kMaxBody);
      case 414:
        return "request URI too long (at most 8192 bytes)";
      case 400:
        return "malformed HTTP request: send one HTTP/1.1 request line, headers and at most 8192 bytes of "
               "them";
      default:
        return fmt::format("HTTP {} for {} {}", status, req.method, req.path);
    }
  }

  // traceloop's text by default, "ID: [NAME] CGROUPPATH" lines (what traceloopctl greps and
  // cuts); format=json: ctrace's object, with the counters (what ctl asks for).
  void list(const httplib::Request& req, httplib::Response& res) {
    std::string format = param(req, "format", false);
    if (!format.empty() && format != "json" && format != "text")
      throw HttpError{400, "format must be text or json, not '" + format + "'"};
    const bool json = format == "json";
    ordered_json list = ordered_json::array();
    std::string text;
    std::lock_guard lock(mutex_);
    for (const auto& name : order_) {
      const auto& t = *traces_.at(name);
      if (!json) {
        text += fmt::format("{}: [{}] {}\n", t.id, t.name, t.listed_path);
        continue;
      }
      auto st = t.recorder->stats();
      list.push_back({{"id", t.id},
                      {"name", t.name},
                      {"cgroup", t.target.cgroup_path},
                      {"cgroup_id", t.target.cgroup_id},
                      {"capacity", t.recorder->capacity()},
                      {"recorded", st.recorded},
                      {"overwritten", st.overwritten},
                      {"lost", st.lost}});
    }
    if (!json) {
      res.status = 200;
      res.set_content(text, "text/plain; charset=utf-8");
      return;
    }
    reply(res, 200, {{"traces", list}});
  }

  void add(const httplib::Request& req, httplib::Response& res) {
    std::string name = name_param(req);
    // cgrouppath= is traceloop's spelling (an absolute path); cgroup= also takes it.
    std::string cgroup = param(req, "cgroup", false), cgroup_id = param(req, "cgroup_id", false);
    std::string cgroup_path = param(req, "cgrouppath", false);
    if (!cgroup_path.empty() && !cgroup.empty())
      throw HttpError{400, "give exactly one of cgroup=, cgrouppath= and cgroup_id="};
    if (cgroup.empty()) cgroup = cgroup_path;
    if (cgroup.empty() == cgroup_id.empty())
      throw HttpError{400, "give exactly one of cgroup=, cgrouppath= and cgroup_id="};
    target::TargetOptions opts;
    if (!cgroup.empty()) {
      opts.cgroup = cgroup;
    } else {
      try {
        size_t pos = 0;
        opts.cgroup_id = std::stoull(cgroup_id, &pos);
        if (pos != cgroup_id.size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        throw HttpError{400, "cgroup_id must be a number"};
      }
    }
    probe::RecorderOptions ro;
    ro.size_bytes = default_size_;
    ro.string_size = string_size_;
    if (auto size = param(req, "size", false); !size.empty()) {
      ro.size_bytes = parse_size(size);
      if (ro.size_bytes > (256ULL << 20)) throw HttpError{400, "size is at most 256M per target"};
    }
    if (auto sc = param(req, "syscalls", false); !sc.empty())
      ro.syscalls = parse_syscalls(sc, probe::kRecordMaxSyscalls);
    auto tgt = target::resolve(opts, cgroup_fs_);
    {
      std::lock_guard lock(mutex_);
      if (traces_.count(name)) throw HttpError{409, "a trace named '" + name + "' exists: close it first"};
      if (added() + pending_ >= kMaxTraces)
        throw HttpError{429, fmt::format("at most {} targets: close one first", kMaxTraces)};
      ++pending_;
    }
    std::shared_ptr<Trace> t;
    try {
      t = std::make_shared<Trace>(
          Trace{0, name, tgt, make_recorder_(tgt, ro), text_list_path(cgroup_path, tgt)});
    } catch (...) {
      std::lock_guard lock(mutex_);
      --pending_;
      throw;
    }
    std::lock_guard lock(mutex_);
    --pending_;
    if (traces_.count(name)) throw HttpError{409, "a trace named '" + name + "' exists: close it first"};
    t->id = next_id_++;
    traces_[name] = t;
    order_.push_back(name);
    spdlog::info("recording {} as {} (id {})", tgt.cgroup_path, name, t->id);
    reply(res, 201,
          {{"id", t->id},
           {"name", name},
           {"cgroup", tgt.cgroup_path},
           {"cgroup_id", tgt.cgroup_id},
           {"capacity", t->recorder->capacity()}});
  }

  // Traces started by /add (each its own programs): at most kMaxTraces. Called with mutex_ held.
  size_t added() const {
    return static_cast<size_t>(
        std::count_if(traces_.begin(), traces_.end(), [](const auto& kv) { return !kv.second->adopted; }));
  }

  PostmortemStore& store() {
    if (!postmortems_) throw HttpError{404, "no post-mortems: serve runs without --postmortem-dir"};
    return *postmortems_;
  }

  // /postmortem?name=CONTAINER|FILE[&format=text]: the newest of that container, or that file.
  void postmortem(const httplib::Request& req, httplib::Response& res) {
    std::string name = param(req, "name"), format = param(req, "format", false);
    if (!format.empty() && format != "json" && format != "text")
      throw HttpError{400, "format must be text or json, not '" + format + "'"};
    auto body = store().read(name, format == "text");
    if (!body) throw HttpError{404, "no post-mortem of '" + name + "': GET /postmortems lists them"};
    res.status = 200;
    res.set_content(*body, format == "text" ? "text/plain; charset=utf-8" : "application/json");
  }

  void metrics(httplib::Response& res) {
    res.status = 200;
    res.set_content(exporter_.render(), output::kMetricsContentType);
  }

  // Read from the kernel's counters per scrape, so closed traces disappear.
  void collect(prometheus::Registry& registry) override {
    auto& events = output::counter_family(registry, "ctrace_record_events_total");
    auto& overwritten = output::counter_family(registry, "ctrace_record_overwritten_total");
    auto& lost = output::counter_family(registry, "ctrace_record_lost_total");
    auto& targets = output::gauge_family(registry, "ctrace_record_targets");
    std::lock_guard lock(mutex_);
    targets.Add({}).Set(static_cast<double>(traces_.size()));
    for (const auto& [name, t] : traces_) {
      auto st = t->recorder->stats();
      events.Add({{"trace", name}}).Increment(static_cast<double>(st.recorded));
      overwritten.Add({{"trace", name}}).Increment(static_cast<double>(st.overwritten));
      lost.Add({{"trace", name}}).Increment(static_cast<double>(st.lost));
    }
  }

  uint64_t lost_events() override {
    uint64_t total = 0;
    std::lock_guard lock(mutex_);
    for (const auto& [name, t] : traces_) total += t->recorder->stats().lost;
    return total;
  }

  target::CgroupFs cgroup_fs_;
  enrich::SyscallFormats formats_;
  uint64_t default_size_;
  int string_size_;
  RecorderFactory make_recorder_;
  output::MetricsExporter exporter_;
  enrich::SyscallNames names_{512};
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Trace>> traces_;
  std::vector<std::string> order_;
  size_t pending_ = 0;
  uint32_t next_id_ = 0;
  WallClock wall_;
  std::optional<PostmortemStore> postmortems_;
};

}  // namespace

std::unique_ptr<ServeApi> make_serve_api(target::CgroupFs cgroup_fs, enrich::SyscallFormats formats,
                                         ServeApiOptions opts, RecorderFactory make_recorder) {
  return std::make_unique<Daemon>(std::move(cgroup_fs), std::move(formats), opts, std::move(make_recorder));
}

}  // namespace ctrace::commands

// The rules of the scenario language (scenarios/README.md is the prose version, scenarios/schema.json
// the machine-readable shape). Every check reports into one sink so a file's problems come all at once.
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "model/fixes.hpp"
#include "sim/json_view.hpp"
#include "sim/scenario_load.hpp"
#include "sim/limits.hpp"
#include "sim/units.hpp"

namespace fsrace::sim {
namespace {

using json = nlohmann::json;

constexpr const char* kProfiles[] = {"single", "dup", "raid0", "raid1", "raid1c3", "raid1c4", "raid10", "raid5", "raid6"};
constexpr uint64_t kMaxThreads = limits::kThreads;
constexpr uint64_t kMaxRepeat = limits::kRepeat;

std::vector<std::string> fix_ids() {
  std::vector<std::string> out;
  for (const auto& f : model::all_fixes()) out.emplace_back(f.id);
  return out;
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool valid_kernel_version(const std::string& v) {
  std::vector<int> parts;
  return model::parse_kernel_version(v, parts);
}

// Accepts "comment": a string or an array of strings, anywhere (JSON has no comments).
void allow_comment(diagnostics_sink& sink, object_view& obj) {
  const json* c = obj.optional("comment");
  if (!c) return;
  bool ok = c->is_string();
  if (c->is_array()) ok = std::all_of(c->begin(), c->end(), [](const json& x) { return x.is_string(); });
  if (!ok) sink.error(obj.child("comment"), "expected a string or an array of strings, got {}", describe_json(*c));
}

struct named_use {
  std::string kind, name, path;
};

class scenario_parser {
 public:
  scenario_parser(const std::string& file, const catalogue& cat) : sink_(file), cat_(cat) {}

  std::unique_ptr<scenario> parse(const json& doc) {
    auto sc = std::make_unique<scenario>();
    sc->file = sink_.file();
    object_view top(sink_, doc, "", "a scenario");
    if (!top.valid()) sink_.throw_if_any();

    if (auto* v = top.required("name", "the scenario's name: lower-case letters, digits, '.', '_', '-'"))
      if (get_string(sink_, *v, "/name", sc->name) &&
          !std::regex_match(sc->name, std::regex("[a-z0-9][a-z0-9._-]{0,63}")))
        sink_.error("/name", "expected lower-case letters, digits, '.', '_' or '-' (at most 64, starting with a "
                             "letter or digit), got \"{}\"", sc->name);
    if (auto* v = top.required("title", "a one-line description of the race"))
      if (get_string(sink_, *v, "/title", sc->title) && sc->title.empty())
        sink_.error("/title", "expected a non-empty one-line description");
    if (auto* v = top.optional("references")) parse_references(*v, sc->refs);
    if (auto* v = top.required("filesystem", "the filesystem: {\"devices\": [...], ...}"))
      parse_filesystem(*v, sc->filesystem);
    if (auto* v = top.required("threads", "a non-empty array of threads")) parse_threads(*v, *sc);
    fixes_given_ = top.optional("fixes") != nullptr;
    if (fixes_given_) parse_fixes_spec(*top.optional("fixes"), sc->fixes);
    parse_invariants(top.optional("invariants"), *sc);
    if (auto* v = top.optional("explore")) parse_explore(*v, "/explore", sc->explore);
    if (auto* v = top.required("expectations", "a non-empty array of expectations, one per fix setting"))
      parse_expectations(*v, *sc);
    allow_comment(sink_, top);
    top.reject_unknown("the scenario");
    check_references(sc->filesystem);
    check_budget(*sc);
    sink_.throw_if_any();
    return sc;
  }

 private:
  void parse_string_list(const json* v, const std::string& path, std::vector<std::string>& out,
                         const char* expectation, const std::regex& pattern) {
    if (!v) return;
    if (!v->is_array()) {
      sink_.error(path, "expected an array of {}, got {}", expectation, describe_json(*v));
      return;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      std::string s;
      if (!get_string(sink_, (*v)[i], json_child(path, i), s, expectation)) continue;
      if (!std::regex_match(s, pattern))
        sink_.error(json_child(path, i), "expected {}, got \"{}\"", expectation, s);
      else
        out.push_back(s);
    }
  }

  void parse_references(const json& v, references& refs) {
    object_view obj(sink_, v, "/references", "the references");
    parse_string_list(obj.optional("commits"), "/references/commits", refs.commits,
                      "commit ids (7 to 40 hex digits)", std::regex("[0-9a-f]{7,40}"));
    parse_string_list(obj.optional("fstests"), "/references/fstests", refs.fstests,
                      "fstests names like \"btrfs/071\"", std::regex("[a-z]+/[0-9]{3,4}"));
    parse_string_list(obj.optional("links"), "/references/links", refs.links, "http(s) URLs",
                      std::regex("https?://\\S+"));
    allow_comment(sink_, obj);
    obj.reject_unknown("the references");
  }

  void parse_profile(object_view& obj, const char* key, std::string& out) {
    const json* v = obj.optional(key);
    if (!v) return;
    std::vector<std::string> names(std::begin(kProfiles), std::end(kProfiles));
    std::string s;
    if (!get_string(sink_, *v, obj.child(key), s, "a block group profile name")) return;
    if (std::find(names.begin(), names.end(), s) == names.end())
      sink_.error(obj.child(key), "expected one of {}, got \"{}\"{}", list_names(names), s, did_you_mean(s, names));
    else
      out = s;
  }

  void parse_block_size(object_view& obj, const char* key, uint32_t& out) {
    const json* v = obj.optional(key);
    if (!v) return;
    param_spec spec;
    spec.type = param_type::size;
    spec.size_min = 4096;
    spec.size_max = 65536;
    param_value pv;
    std::string why;
    if (!convert_param(spec, *v, 0, pv, why)) {
      sink_.error(obj.child(key), "{}", why);
    } else if (pv.bytes & (pv.bytes - 1)) {
      sink_.error(obj.child(key), "expected a power of two between 4KiB and 64KiB, got {}", format_size(pv.bytes));
    } else {
      out = static_cast<uint32_t>(pv.bytes);
    }
  }

  // The mount options the model acts on; the others would be silently ignored, so they are refused.
  void parse_mount_options(object_view& obj, filesystem_spec& fs) {
    const json* v = obj.optional("mount_options");
    if (!v) return;
    const std::string path = obj.child("mount_options");
    if (!v->is_array() || v->size() > 16) {
      sink_.error(path, "expected an array of at most 16 mount options, e.g. [\"discard\"], got {}", describe_json(*v));
      return;
    }
    const std::vector<std::string> known = {"discard", "discard=sync", "nodiscard", "flushoncommit", "noflushoncommit"};
    for (size_t i = 0; i < v->size(); ++i) {
      std::string s;
      if (!get_string(sink_, (*v)[i], json_child(path, i), s, "a mount option")) continue;
      if (s == "discard" || s == "discard=sync") fs.discard = true;
      else if (s == "nodiscard") fs.discard = false;
      else if (s == "flushoncommit") fs.flushoncommit = true;
      else if (s == "noflushoncommit") fs.flushoncommit = false;
      else if (s == "discard=async")
        sink_.error(json_child(path, i), "\"discard=async\" is not modelled (the async discard workqueue); use \"discard\" (discard=sync)");
      else
        sink_.error(json_child(path, i), "expected one of {}, got \"{}\"{}", list_names(known), s, did_you_mean(s, known));
    }
  }

  // "image": the device image files, relative to the scenario's directory (or absolute). Their contents
  // are read when the scenario is prepared; here only that each is a regular file of a usable size.
  void parse_images(const json& v, filesystem_spec& fs) {
    const std::string path = "/filesystem/image";
    if (!v.is_array() || v.empty() || v.size() > 16) {
      sink_.error(path, "expected an array of 1 to 16 device image files, e.g. [\"dev0.img\"], got {}", describe_json(v));
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string name;
      if (!get_string(sink_, v[i], json_child(path, i), name, "a device image file")) continue;
      if (name.empty()) {
        sink_.error(json_child(path, i), "expected a device image file, got an empty string");
        continue;
      }
      std::filesystem::path p(name);
      if (p.is_relative()) p = std::filesystem::path(sink_.file()).parent_path() / p;
      std::error_code ec;
      const auto st = std::filesystem::status(p, ec);
      if (ec || !std::filesystem::exists(st)) {
        sink_.error(json_child(path, i), "no device image at {}{}", p.string(), ec ? fmt::format(" ({})", ec.message()) : "");
        continue;
      }
      if (!std::filesystem::is_regular_file(st)) {
        sink_.error(json_child(path, i), "{} is not a regular file (expected a device image file)", p.string());
        continue;
      }
      const uint64_t size = std::filesystem::file_size(p, ec);
      if (ec || size < (1u << 20) || size > limits::kDeviceBytes) {
        sink_.error(json_child(path, i), "{}: {} bytes; expected 1 MiB to the limit device_bytes = {} (fsrace list)",
                    p.string(), ec ? 0 : size, limits::kDeviceBytes);
        continue;
      }
      fs.images.push_back(std::filesystem::absolute(p).lexically_normal().string());
    }
  }

  // "spare_devices": block devices outside the filesystem that device_add can add (sizes as for "devices",
  // at least the 128MiB the model's mkfs takes).
  void parse_spare_devices(object_view& obj, filesystem_spec& fs) {
    const json* spares = obj.optional("spare_devices");
    if (!spares) return;
    if (!spares->is_array() || spares->size() > 16) {
      sink_.error("/filesystem/spare_devices", "expected an array of 0 to 16 device sizes (block devices device_add can "
                  "add, e.g. [\"1GiB\"]), got {}{}", describe_json(*spares),
                  spares->is_array() ? fmt::format(" with {} entries", spares->size()) : "");
      return;
    }
    param_spec spec;
    spec.type = param_type::size;
    spec.size_min = 128ull << 20;
    spec.size_max = limits::kDeviceBytes;
    spec.align = 4096;
    for (size_t i = 0; i < spares->size(); ++i) {
      param_value pv;
      std::string why;
      if (convert_param(spec, (*spares)[i], 0, pv, why)) fs.spare_devices.push_back(pv.bytes);
      else sink_.error(json_child("/filesystem/spare_devices", i), "{}", why);
    }
    spare_count_ = spares->size();
  }

  void parse_filesystem(const json& v, filesystem_spec& fs) {
    object_view obj(sink_, v, "/filesystem", "the filesystem description");
    const json* image = obj.optional("image");
    const json* devs = obj.optional("devices");
    if (obj.valid() && !image && !devs)
      sink_.error("/filesystem", "expected \"devices\" (an array of device sizes for the model's mkfs, e.g. [\"1GiB\"]) "
                                 "or \"image\" (an array of device image files to start from)");
    if (image && devs)
      sink_.error("/filesystem/image", "expected either \"devices\" (the model's mkfs) or \"image\" (device images), not both");
    if (image) {
      parse_images(*image, fs);
      for (const char* key : {"profiles", "sectorsize", "nodesize"})
        if (obj.optional(key))
          sink_.error(fmt::format("/filesystem/{}", key), "\"{}\" comes from the image; remove it or use \"devices\"", key);
    }
    if (devs) {
      if (!devs->is_array() || devs->empty() || devs->size() > 16) {
        sink_.error("/filesystem/devices", "expected an array of 1 to 16 device sizes, got {}{}", describe_json(*devs),
                    devs->is_array() ? fmt::format(" with {} entries", devs->size()) : "");
      } else {
        param_spec spec;
        spec.type = param_type::size;
        spec.size_min = 1 << 20;
        spec.size_max = limits::kDeviceBytes;
        spec.align = 4096;
        for (size_t i = 0; i < devs->size(); ++i) {
          param_value pv;
          std::string why;
          if (convert_param(spec, (*devs)[i], 0, pv, why)) fs.devices.push_back(pv.bytes);
          else sink_.error(json_child("/filesystem/devices", i), "{}", why);
        }
      }
    }
    if (const json* p = obj.optional("profiles")) {
      object_view prof(sink_, *p, "/filesystem/profiles", "the block group profiles");
      parse_profile(prof, "data", fs.data_profile);
      parse_profile(prof, "metadata", fs.metadata_profile);
      parse_profile(prof, "system", fs.system_profile);
      allow_comment(sink_, prof);
      prof.reject_unknown("the profiles");
    }
    parse_block_size(obj, "sectorsize", fs.sectorsize);
    parse_block_size(obj, "nodesize", fs.nodesize);
    if (fs.nodesize < fs.sectorsize)
      sink_.error("/filesystem/nodesize", "expected a node size >= the sector size ({}), got {}",
                  format_size(fs.sectorsize), format_size(fs.nodesize));
    parse_mount_options(obj, fs);
    parse_spare_devices(obj, fs);
    device_count_ = fs.images.empty() ? fs.devices.size() : fs.images.size();
    if (const json* setup = obj.optional("setup")) {
      if (!setup->is_array()) {
        sink_.error("/filesystem/setup", "expected an array of operations run once before the threads, got {}",
                    describe_json(*setup));
      } else {
        for (size_t i = 0; i < setup->size(); ++i)
          if (auto call = parse_op((*setup)[i], json_child("/filesystem/setup", i), true)) fs.setup.push_back(std::move(*call));
      }
    }
    allow_comment(sink_, obj);
    obj.reject_unknown("the filesystem description");
  }

  std::optional<op_call> parse_op(const json& v, const std::string& path, bool in_setup) {
    object_view obj(sink_, v, path, "an operation {\"op\": NAME, parameters...}");
    if (!obj.valid()) return std::nullopt;
    const json* name_v = obj.required("op", "the operation's name; `fsrace list` shows them");
    std::string name;
    if (!name_v || !get_string(sink_, *name_v, obj.child("op"), name, "an operation name")) return std::nullopt;
    const op_spec* spec = cat_.find_op(name);
    if (!spec) {
      sink_.error(obj.child("op"), "unknown operation \"{}\"{}; `fsrace list` shows the catalogue", name,
                  did_you_mean(name, cat_.op_names()));
      return std::nullopt;
    }
    if (in_setup && spec->scope == op_scope::threads_only)
      sink_.error(obj.child("op"), "operation \"{}\" can only be used in a thread, not in filesystem.setup", name);
    if (!in_setup && spec->scope == op_scope::setup_only)
      sink_.error(obj.child("op"), "operation \"{}\" can only be used in filesystem.setup, not in a thread", name);

    op_call call;
    call.spec = spec;
    call.path = path;
    call.allowed_errors = spec->allowed_errors;
    std::vector<param_value> values(spec->params.size());
    bool ok = true;
    for (size_t i = 0; i < spec->params.size(); ++i) {
      const auto& ps = spec->params[i];
      const json* pv = ps.required ? obj.required(ps.name, fmt::format("parameter of \"{}\": {}; {}", name,
                                                                      ps.expectation(), ps.doc))
                                   : obj.optional(ps.name);
      const json& given = pv ? *pv : ps.default_value;
      if (!pv && ps.required) {
        ok = false;
        continue;
      }
      std::string why;
      if (!convert_param(ps, given, device_count_, values[i], why, spare_count_)) {
        sink_.error(pv ? obj.child(ps.name) : path, "{}{}", pv ? "" : "default of parameter: ", why);
        ok = false;
        continue;
      }
      if (ps.type == param_type::name) defined_.push_back({ps.kind, values[i].text, obj.child(ps.name)});
      if (ps.type == param_type::ref) used_.push_back({ps.kind, values[i].text, obj.child(ps.name)});
    }
    if (const json* r = obj.optional("repeat")) {
      uint64_t n = 1;
      if (get_uint(sink_, *r, obj.child("repeat"), 1, kMaxRepeat, n)) call.repeat = static_cast<uint32_t>(n);
    }
    if (const json* a = obj.optional("allow_errors")) parse_allow_errors(*a, obj.child("allow_errors"), call);
    allow_comment(sink_, obj);
    obj.reject_unknown(fmt::format("operation \"{}\"", name));
    if (!ok) return std::nullopt;
    call.args = params(&spec->params, std::move(values));
    call.display = call.args.count() ? fmt::format("{}({})", name, call.args.describe()) : name;
    return call;
  }

  void parse_allow_errors(const json& v, const std::string& path, op_call& call) {
    if (!v.is_array()) {
      sink_.error(path, "expected an array of errno names such as [\"EAGAIN\"], got {}", describe_json(v));
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string s;
      if (!get_string(sink_, v[i], json_child(path, i), s, "an errno name such as \"EAGAIN\"")) continue;
      int e = errno_from_name(s);
      if (!e)
        sink_.error(json_child(path, i), "unknown errno name \"{}\"{}", s, did_you_mean(s, errno_names()));
      else
        call.allowed_errors.push_back(-e);
    }
  }

  void parse_threads(const json& v, scenario& sc) {
    if (!v.is_array() || v.empty()) {
      sink_.error("/threads", "expected a non-empty array of threads {{\"name\": ..., \"ops\": [...]}}, got {}{}",
                  describe_json(v), v.is_array() ? " that is empty" : "");
      return;
    }
    std::map<std::string, std::string> names;  // name -> path of first use
    uint64_t total = 0;                         // threads after "count" (expanded only up to the limit)
    for (size_t t = 0; t < v.size(); ++t) {
      const std::string path = json_child("/threads", t);
      object_view obj(sink_, v[t], path, "a thread {\"name\": ..., \"ops\": [...]}");
      if (!obj.valid()) continue;
      std::string name;
      if (const json* n = obj.required("name", "the thread's name, shown as its column in diagrams"))
        if (get_string(sink_, *n, obj.child("name"), name, "a thread name")) {
          if (!std::regex_match(name, std::regex("[A-Za-z][A-Za-z0-9_-]{0,31}")))
            sink_.error(obj.child("name"), "expected a name of letters, digits, '_' or '-' (at most 32, starting "
                                           "with a letter), got \"{}\"", name);
          else if (auto [it, fresh] = names.emplace(name, obj.child("name")); !fresh)
            sink_.error(obj.child("name"), "duplicate thread name \"{}\" (first used at {})", name, it->second);
        }
      uint64_t count = 1;
      if (const json* c = obj.optional("count")) get_uint(sink_, *c, obj.child("count"), 1, kMaxThreads, count);
      std::vector<op_call> ops;
      if (const json* o = obj.required("ops", "a non-empty array of operations run in order")) {
        if (!o->is_array() || o->empty()) {
          sink_.error(obj.child("ops"), "expected a non-empty array of operations, got {}{}", describe_json(*o),
                      o->is_array() ? " that is empty" : "");
        } else {
          for (size_t i = 0; i < o->size(); ++i)
            if (auto call = parse_op((*o)[i], json_child(obj.child("ops"), i), false)) ops.push_back(std::move(*call));
        }
      }
      allow_comment(sink_, obj);
      obj.reject_unknown("a thread");
      total += count;
      for (uint64_t c = 0; c < count && sc.threads.size() < kMaxThreads; ++c) {
        thread_spec th;
        th.name = count == 1 ? name : fmt::format("{}.{}", name, c);
        th.ops = ops;
        th.path = path;
        sc.threads.push_back(std::move(th));
      }
    }
    if (total > kMaxThreads)
      sink_.error("/threads", "expected at most {} threads in all (after \"count\"; the limit), got {}", kMaxThreads,
                  total);
  }

  bool parse_fix_id(const json& v, const std::string& path, std::string& out) {
    if (!get_string(sink_, v, path, out, "a fix id (12 hex digits of the upstream commit)")) return false;
    if (!model::find_fix(out)) {
      sink_.error(path, "unknown fix \"{}\"{}; known fixes: {}", out, did_you_mean(out, fix_ids()), list_names(fix_ids()));
      return false;
    }
    return true;
  }

  bool parse_kernel(const json& v, const std::string& path, std::string& out) {
    if (!get_string(sink_, v, path, out, "a kernel version such as \"4.7\" or \"5.10.3\"")) return false;
    if (!valid_kernel_version(out)) {
      sink_.error(path, "expected a kernel version such as \"4.7\" or \"5.10.3\" (up to three dot-separated "
                        "numbers), got \"{}\"", out);
      return false;
    }
    return true;
  }

  void parse_fix_list(const json& v, const std::string& path, std::vector<std::string>& out) {
    if (!v.is_array() || v.empty()) {
      sink_.error(path, "expected a non-empty array of fix ids, got {}{}", describe_json(v),
                  v.is_array() ? " that is empty" : "");
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string id;
      if (!parse_fix_id(v[i], json_child(path, i), id)) continue;
      if (std::find(out.begin(), out.end(), id) != out.end())
        sink_.error(json_child(path, i), "fix \"{}\" is listed twice", id);
      else
        out.push_back(id);
    }
  }

  // {"kernel": "4.7"} as the set under test: the fixes first released in that version.
  void fixes_of_release(const json& v, const std::string& path, fixes_spec& spec) {
    object_view obj(sink_, v, path, "{\"kernel\": VERSION}");
    std::string version;
    if (const json* k = obj.required("kernel", "a kernel version such as \"4.7\""))
      if (parse_kernel(*k, obj.child("kernel"), version)) {
        std::vector<std::string> releases;
        for (const auto& f : model::all_fixes()) {
          const bool backport = f.stable && model::compare_kernel_versions(f.stable, version) == 0;
          if (model::compare_kernel_versions(f.kernel, version) == 0 || backport) spec.test.push_back(f.id);
          for (const char* r : {f.kernel, f.stable})
            if (r && std::find(releases.begin(), releases.end(), r) == releases.end()) releases.push_back(r);
        }
        if (spec.test.empty())
          sink_.error(obj.child("kernel"), "no fix in the catalogue was first released in {}; releases with fixes: {}",
                      version, list_names(releases));
        spec.base = fixes_spec::base_kind::kernel;
        spec.base_kernel = version;
      }
    allow_comment(sink_, obj);
    obj.reject_unknown("the fixes");
  }

  void parse_fixes_spec(const json& v, fixes_spec& spec) {
    const std::string path = "/fixes";
    if (v.is_array()) return parse_fix_list(v, path, spec.test);
    if (v.is_object() && v.contains("kernel") && !v.contains("test")) return fixes_of_release(v, path, spec);
    object_view obj(sink_, v, path, "the fixes under test: [ids], {\"kernel\": VERSION} or {\"test\": [ids], \"base\": ...}");
    if (!obj.valid()) return;
    if (const json* t = obj.required("test", "the fix ids under test")) parse_fix_list(*t, obj.child("test"), spec.test);
    if (const json* b = obj.optional("base")) {
      const std::string bpath = obj.child("base");
      if (b->is_string() && *b == "all") {
        spec.base = fixes_spec::base_kind::all;
      } else if (b->is_string() && *b == "none") {
        spec.base = fixes_spec::base_kind::none;
      } else if (b->is_object()) {
        object_view bo(sink_, *b, bpath, "{\"kernel\": VERSION}");
        if (const json* k = bo.required("kernel", "a kernel version such as \"5.2\""))
          if (parse_kernel(*k, bo.child("kernel"), spec.base_kernel)) spec.base = fixes_spec::base_kind::kernel;
        bo.reject_unknown("the base fixes");
      } else {
        sink_.error(bpath, "expected \"all\", \"none\" or {{\"kernel\": VERSION}}, got {}", describe_json(*b));
      }
    }
    allow_comment(sink_, obj);
    obj.reject_unknown("the fixes");
  }

  void parse_invariants(const json* v, scenario& sc) {
    if (!v) {  // documented default: every invariant marked on by default in the catalogue
      for (const invariant_spec* inv : cat_.invariants()) {
        if (!inv->default_on) continue;
        add_invariant(sc, inv, {}, "/invariants");
      }
      return;
    }
    sc.check_user_errors = false;
    if (!v->is_array()) {
      sink_.error("/invariants", "expected an array of invariant names or {{\"name\": ..., parameters...}}, got {}",
                  describe_json(*v));
      return;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      const std::string path = json_child("/invariants", i);
      const json& item = (*v)[i];
      std::string name;
      if (item.is_string()) {
        name = item.get<std::string>();
        if (const invariant_spec* inv = find_invariant(name, path)) {
          for (const auto& p : inv->params)
            if (p.required)
              sink_.error(path, "invariant \"{}\" needs parameter \"{}\" ({}); write it as an object", name, p.name,
                          p.expectation());
          add_invariant(sc, inv, json::object(), path);
        }
        continue;
      }
      object_view obj(sink_, item, path, "an invariant name or {\"name\": ..., parameters...}");
      if (!obj.valid()) continue;
      const json* n = obj.required("name", "the invariant's name; `fsrace list` shows them");
      if (!n || !get_string(sink_, *n, obj.child("name"), name, "an invariant name")) continue;
      const invariant_spec* inv = find_invariant(name, obj.child("name"));
      if (!inv) continue;
      json given = json::object();
      for (const auto& p : inv->params)
        if (const json* pv = p.required ? obj.required(p.name, p.expectation()) : obj.optional(p.name)) given[p.name] = *pv;
      allow_comment(sink_, obj);
      obj.reject_unknown(fmt::format("invariant \"{}\"", name));
      add_invariant(sc, inv, given, path);
    }
  }

  const invariant_spec* find_invariant(const std::string& name, const std::string& path) {
    const invariant_spec* inv = cat_.find_invariant(name);
    if (!inv)
      sink_.error(path, "unknown invariant \"{}\"{}; known invariants: {}", name, did_you_mean(name, cat_.invariant_names()),
                  list_names(cat_.invariant_names()));
    return inv;
  }

  void add_invariant(scenario& sc, const invariant_spec* inv, const json& given, const std::string& path) {
    if (inv->params.empty() && !listed_.insert(inv->name).second) {
      sink_.error(path, "invariant \"{}\" is listed twice", inv->name);
      return;
    }
    if (!inv->check) {  // checked by the runner itself
      sc.check_user_errors = true;
      return;
    }
    std::vector<param_value> values(inv->params.size());
    for (size_t i = 0; i < inv->params.size(); ++i) {
      const auto& ps = inv->params[i];
      auto it = given.is_object() ? given.find(ps.name) : given.end();
      if (it == given.end() && ps.required) return;  // reported by the caller
      std::string why;
      if (!convert_param(ps, it == given.end() ? ps.default_value : *it, device_count_, values[i], why, spare_count_)) {
        sink_.error(json_child(path, ps.name), "{}", why);
        return;
      }
      if (ps.type == param_type::ref) used_.push_back({ps.kind, values[i].text, json_child(path, ps.name)});
    }
    sc.invariants.push_back({inv, params(&inv->params, std::move(values)), path});
  }

  void parse_explore(const json& v, const std::string& path, explore_settings& e) {
    object_view obj(sink_, v, path, "exploration settings");
    if (const json* s = obj.optional("strategy")) {
      std::string name;
      if (get_string(sink_, *s, obj.child("strategy"), name, "\"random\", \"pct\", \"dfs\" or \"dpor\"")) {
        if (auto k = parse_strategy(name)) e.strategy = *k;
        else sink_.error(obj.child("strategy"), "expected \"random\", \"pct\", \"dfs\" or \"dpor\", got \"{}\"", name);
      }
    }
    uint64_t n = 0;
    if (const json* x = obj.optional("runs"))
      if (get_uint(sink_, *x, obj.child("runs"), 1, 1'000'000'000'000ULL, n)) e.runs = n;
    if (const json* x = obj.optional("depth"))
      if (get_uint(sink_, *x, obj.child("depth"), 1, 16, n)) e.depth = static_cast<uint32_t>(n);
    if (const json* x = obj.optional("preemptions"))
      if (get_uint(sink_, *x, obj.child("preemptions"), 0, 16, n)) e.preemptions = static_cast<uint32_t>(n);
    if (const json* x = obj.optional("max_steps"))
      if (get_uint(sink_, *x, obj.child("max_steps"), 1, limits::kMaxSteps, n)) e.max_steps = n;
    if (const json* x = obj.optional("seed"))
      if (get_uint(sink_, *x, obj.child("seed"), 0, ~0ULL, n)) e.seed = n;
    if (const json* x = obj.optional("exhaustive")) {
      if (!x->is_boolean()) sink_.error(obj.child("exhaustive"), "expected true or false, got {}", describe_json(*x));
      else e.exhaustive = x->get<bool>();
    }
    allow_comment(sink_, obj);
    obj.reject_unknown("the exploration settings");
  }

  void parse_expectations(const json& v, scenario& sc) {
    if (!v.is_array() || v.empty()) {
      sink_.error("/expectations", "expected a non-empty array of expectations such as "
                                   "{{\"fixes\": \"off\", \"result\": \"violation\"}}, got {}{}",
                  describe_json(v), v.is_array() ? " that is empty" : "");
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string path = json_child("/expectations", i);
      object_view obj(sink_, v[i], path, "an expectation {\"fixes\": \"on\"|\"off\", \"result\": ...}");
      if (!obj.valid()) continue;
      expectation ex;
      ex.path = path;
      ex.explore = sc.explore;
      bool setting_ok = false;  // duplicates are only meaningful for a valid setting
      if (const json* f = obj.required("fixes", "\"on\" or \"off\": the state of the fixes under test")) {
        std::string s;
        if (get_string(sink_, *f, obj.child("fixes"), s, "\"on\" or \"off\"")) {
          if (auto b = parse_on_off(s)) ex.fixes.on = *b, setting_ok = true;
          else sink_.error(obj.child("fixes"), "expected \"on\" or \"off\", got \"{}\"", s);
        }
      }
      if (const json* f = obj.optional("fix")) {
        object_view fo(sink_, *f, obj.child("fix"), "per-fix overrides {\"<fix id>\": \"on\"|\"off\"}");
        if (fo.valid())
          for (auto it = f->begin(); it != f->end(); ++it) {
            fo.optional(it.key());
            std::string id;
            if (!parse_fix_id(json(it.key()), fo.child(it.key()), id)) continue;
            std::string s;
            if (!get_string(sink_, it.value(), fo.child(it.key()), s, "\"on\" or \"off\"")) continue;
            if (auto b = parse_on_off(s)) ex.fixes.overrides.emplace_back(id, *b);
            else sink_.error(fo.child(it.key()), "expected \"on\" or \"off\", got \"{}\"", s);
          }
      }
      bool clean = false;  // only a valid "clean" makes kind / message_contains misplaced
      if (const json* r = obj.required("result", "\"violation\" or \"clean\"")) {
        std::string s;
        if (get_string(sink_, *r, obj.child("result"), s, "\"violation\" or \"clean\"")) {
          if (s == "violation") ex.violation = true;
          else if (s == "clean") clean = true;
          else sink_.error(obj.child("result"), "expected \"violation\" or \"clean\", got \"{}\"", s);
        }
      }
      if (const json* k = obj.optional("kind")) {
        std::string s;
        if (clean)
          sink_.error(obj.child("kind"), "\"kind\" is only meaningful with \"result\": \"violation\"");
        else if (get_string(sink_, *k, obj.child("kind"), s, "a finding kind")) {
          if (auto kind = parse_finding_kind(s)) ex.kind = kind;
          else sink_.error(obj.child("kind"), "expected one of {}, got \"{}\"{}", list_names(expectable_kind_names()), s,
                           did_you_mean(s, expectable_kind_names()));
        }
      }
      if (const json* m = obj.optional("message_contains")) {
        if (clean)
          sink_.error(obj.child("message_contains"), "\"message_contains\" is only meaningful with \"result\": \"violation\"");
        else if (get_string(sink_, *m, obj.child("message_contains"), ex.message_contains) && ex.message_contains.empty())
          sink_.error(obj.child("message_contains"), "expected a non-empty string");
      }
      if (const json* e = obj.optional("explore")) parse_explore(*e, obj.child("explore"), ex.explore);
      if (ex.explore.exhaustive.value_or(false) && !is_systematic(ex.explore.strategy))
        sink_.error(obj.child("explore"), "\"exhaustive\": true needs a strategy that can exhaust the space (dfs, dpor); "
                                          "{} samples it", to_string(ex.explore.strategy));
      allow_comment(sink_, obj);
      obj.reject_unknown("an expectation");
      if (!fixes_given_ && ex.fixes.overrides.empty() && !ex.fixes.on)
        sink_.error(obj.child("fixes"), "\"off\" changes nothing: the scenario has no fixes under test (add \"fixes\")");
      // Several expectations may share a fix setting (e.g. found by PCT and by DFS); the same setting with the
      // same exploration twice is a copy-paste mistake.
      if (setting_ok) {
        for (size_t other : valid_expectations_)
          if (sc.expectations[other].fixes == ex.fixes && sc.expectations[other].explore == ex.explore)
            sink_.error(obj.child("fixes"), "a second expectation for fix setting \"{}\" with the same exploration "
                                            "settings (first at {})", ex.fixes.describe(), sc.expectations[other].path);
        valid_expectations_.push_back(sc.expectations.size());
      }
      sc.expectations.push_back(std::move(ex));
    }
  }

  // What one execution (and the setup) may cost: operation calls, data bytes, file sizes. Refused here,
  // with the limit named, rather than found out as memory or time the machine does not have.
  void check_budget(const scenario& sc) {
    uint64_t data = 0, calls = 0, setup_calls = 0;
    std::string data_path;  // the call that crossed the data limit
    auto count_data = [&](const op_call& call, uint64_t times) {
      uint64_t bytes = 0, offset = 0;
      for (size_t i = 0; i < call.args.count(); ++i) {
        if (call.args.spec(i).data == param_spec::data_role::bytes) bytes += call.args.value(i).bytes;
        if (call.args.spec(i).data == param_spec::data_role::file_offset) offset = call.args.value(i).bytes;
      }
      if (offset + bytes > limits::kFileBytes)
        sink_.error(call.path, "offset {} + {} bytes reach past the file size limit of {}", format_size(offset),
                    format_size(bytes), format_size(limits::kFileBytes));
      const uint64_t before = data;
      data += std::min<uint64_t>(bytes, limits::kDataBytes + 1) * times;  // no overflow: both bounded
      if (before <= limits::kDataBytes && data > limits::kDataBytes) data_path = call.path;
    };
    for (const op_call& call : sc.filesystem.setup) {
      setup_calls += call.repeat;
      count_data(call, call.repeat);
    }
    for (const thread_spec& th : sc.threads)
      for (const op_call& call : th.ops) {
        calls += call.repeat;
        count_data(call, call.repeat);
      }
    if (setup_calls > limits::kSetupOpCalls)
      sink_.error("/filesystem/setup", "{} operation calls (ops x repeat); the limit is {}", setup_calls,
                  limits::kSetupOpCalls);
    if (calls > limits::kOpCalls)
      sink_.error("/threads", "{} operation calls per execution (threads x ops x repeat); the limit is {}", calls,
                  limits::kOpCalls);
    if (data > limits::kDataBytes)
      sink_.error(data_path, "the operations write, allocate or read {} bytes in all (setup and every thread, "
                             "with repeat and count); the limit is {}, reached by this call",
                  data, format_size(limits::kDataBytes));
  }

  // A name used must be defined by an operation; with images, a file or a subvolume may also be one the images hold,
  // which the prepared scenario checks once it has read them.
  void check_references(filesystem_spec& fs) {
    for (const auto& use : used_) {
      bool found = false;
      std::vector<std::string> same_kind;
      for (const auto& def : defined_) {
        if (def.kind != use.kind) continue;
        if (def.name == use.name) found = true;
        same_kind.push_back(def.name);
      }
      if (found) continue;
      if (!fs.images.empty() && (use.kind == "file" || use.kind == "subvolume")) {
        fs.image_names.push_back({use.kind, use.name, use.path});
        continue;
      }
      sink_.error(use.path, "no {} named \"{}\" is defined by an operation of the scenario{}{}", use.kind, use.name,
                  did_you_mean(use.name, same_kind),
                  same_kind.empty() ? fmt::format(" (none is defined: create one in filesystem.setup)")
                                    : fmt::format("; defined: {}", list_names(same_kind)));
    }
  }

  diagnostics_sink sink_;
  const catalogue& cat_;
  size_t device_count_ = 0;
  size_t spare_count_ = 0;
  std::vector<named_use> defined_, used_;
  std::set<std::string> listed_;  // parameterless invariants already listed
  bool fixes_given_ = false;
  std::vector<size_t> valid_expectations_;  // indexes of expectations whose fix setting parsed
};

}  // namespace

std::optional<bool> parse_on_off(std::string_view s) {
  if (s == "on") return true;
  if (s == "off") return false;
  return std::nullopt;
}

std::unique_ptr<scenario> parse_scenario(const json& doc, const std::string& file, const catalogue& cat) {
  return scenario_parser(file, cat).parse(doc);
}

std::unique_ptr<scenario> load_scenario(const std::string& file, const catalogue& cat) {
  return parse_scenario(read_json_file(file), file, cat);
}

}  // namespace fsrace::sim

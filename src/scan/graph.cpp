#include "scan/graph.h"

#include <algorithm>
#include <deque>
#include <functional>

namespace docrunch::scan {

std::string FileOfNode(const std::string& node) {
  return node.substr(0, node.find('#'));
}

DependencyGraph::DependencyGraph(const std::vector<Relationship>& relationships) {
  for (const auto& r : relationships) {
    out_[r.source].push_back({r.target, r.type});
    in_[r.target].push_back({r.source, r.type});
    for (const auto& node : {r.source, r.target}) {
      if (node.find('#') != std::string::npos) symbols_of_file_[FileOfNode(node)].insert(node);
    }
  }
}

bool DependencyGraph::Contains(const std::string& node) const {
  return out_.count(node) || in_.count(node) || symbols_of_file_.count(node);
}

std::vector<std::string> DependencyGraph::NodesOf(const std::string& node) const {
  std::vector<std::string> nodes{node};
  if (auto it = symbols_of_file_.find(node); it != symbols_of_file_.end()) {
    nodes.insert(nodes.end(), it->second.begin(), it->second.end());
  }
  return nodes;
}

namespace {

std::vector<Edge> Collect(const std::map<std::string, std::vector<Edge>>& edges,
                          const std::vector<std::string>& nodes) {
  std::vector<Edge> out;
  for (const auto& n : nodes) {
    if (auto it = edges.find(n); it != edges.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  }
  std::sort(out.begin(), out.end(), [](const Edge& a, const Edge& b) {
    return std::tie(a.node, a.type) < std::tie(b.node, b.type);
  });
  out.erase(std::unique(
                out.begin(), out.end(),
                [](const Edge& a, const Edge& b) { return a.node == b.node && a.type == b.type; }),
            out.end());
  return out;
}

}  // namespace

std::vector<Edge> DependencyGraph::Dependencies(const std::string& node) const {
  return Collect(out_, NodesOf(node));
}

std::vector<Edge> DependencyGraph::Dependents(const std::string& node) const {
  return Collect(in_, NodesOf(node));
}

std::vector<std::vector<std::string>> DependencyGraph::ImportCycles() const {
  // Tarjan's algorithm, iterative so a long import chain cannot overflow the stack.
  std::map<std::string, std::vector<std::string>> graph;
  for (const auto& [source, edges] : out_) {
    if (source.find('#') != std::string::npos) continue;
    for (const auto& e : edges) {
      if (e.type == "imports" && e.node.rfind("ext:", 0) != 0) graph[source].push_back(e.node);
    }
  }
  std::map<std::string, int> index, low;
  std::set<std::string> on_stack;
  std::vector<std::string> stack;
  std::vector<std::vector<std::string>> cycles;
  int counter = 0;
  struct Frame {
    std::string node;
    std::size_t next = 0;
  };
  for (const auto& [start, unused] : graph) {
    if (index.count(start)) continue;
    std::vector<Frame> frames{{start}};
    index[start] = low[start] = counter++;
    stack.push_back(start);
    on_stack.insert(start);
    while (!frames.empty()) {
      Frame& frame = frames.back();
      const auto& succ = graph[frame.node];
      if (frame.next < succ.size()) {
        const std::string& next = succ[frame.next++];
        if (!index.count(next)) {
          index[next] = low[next] = counter++;
          stack.push_back(next);
          on_stack.insert(next);
          frames.push_back({next});
        } else if (on_stack.count(next)) {
          low[frame.node] = std::min(low[frame.node], index[next]);
        }
        continue;
      }
      std::string node = frame.node;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().node] = std::min(low[frames.back().node], low[node]);
      if (low[node] != index[node]) continue;
      std::vector<std::string> component;
      std::string member;
      do {
        member = stack.back();
        stack.pop_back();
        on_stack.erase(member);
        component.push_back(member);
      } while (member != node);
      if (component.size() > 1) {
        std::sort(component.begin(), component.end());
        cycles.push_back(std::move(component));
      }
    }
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

ImpactSet DependencyGraph::Impact(const std::string& node) const {
  std::set<std::string> seen;
  std::deque<std::string> queue;
  for (const auto& n : NodesOf(node)) {
    seen.insert(n);
    queue.push_back(n);
  }
  while (!queue.empty()) {
    std::string current = queue.front();
    queue.pop_front();
    auto it = in_.find(current);
    if (it == in_.end()) continue;
    for (const auto& e : it->second) {
      // A dependent file is affected as a whole: so are its symbols' dependents.
      for (const auto& n : e.node.find('#') == std::string::npos
                               ? NodesOf(e.node)
                               : std::vector<std::string>{e.node}) {
        if (seen.insert(n).second) queue.push_back(n);
      }
    }
  }
  ImpactSet impact;
  std::set<std::string> files;
  for (const auto& n : seen) {
    if (n == node || n.rfind("ext:", 0) == 0) continue;
    if (n.find('#') != std::string::npos) {
      if (FileOfNode(n) != node) impact.symbols.push_back(n);
      files.insert(FileOfNode(n));
    } else {
      files.insert(n);
    }
  }
  files.erase(node);
  files.erase(FileOfNode(node));
  impact.files.assign(files.begin(), files.end());
  return impact;
}

}  // namespace docrunch::scan

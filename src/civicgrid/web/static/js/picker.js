// Searchable pickers (ARIA 1.2 combobox with a listbox): the user types part of a name and
// chooses from what a JSON search endpoint answers. Three forms, each of which works without
// this script (the page then shows the plain control):
//   [data-search-picker]  a text input + a hidden id input (the server resolves typed text);
//   [data-unit-picker]    wraps a <select>: a search box put before it chooses in the select;
//   [data-multi-picker]   wraps checkboxes: choosing a name ticks its box and lists it.
// Attributes: data-url (the endpoint, answering [{...}]; without it a unit picker filters the
// options of its own select), data-label-field (default "label"), data-value-field (default
// "id").
(function () {
  "use strict";
  var counter = 0;

  function fetchItems(url, q) {
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    return fetch(url + sep + "q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (r) {
      if (r.ok) return r.json();
      // A refusal with a sentence (e.g. a term too short for a large scope): say it.
      return r.json().then(function (body) {
        var found = [];
        if (body && typeof body.detail === "string") found.message = body.detail;
        return found;
      }, function () { return []; });
    });
  }

  // The options of a select as items (a picker without data-url filters its own select).
  function localItems(select, q) {
    var parts = q.toLowerCase().split(/\s+/).filter(Boolean);
    var found = [];
    Array.prototype.forEach.call(select.options, function (o) {
      var text = o.text.toLowerCase();
      if (!o.value || !parts.every(function (p) { return text.indexOf(p) >= 0; })) return;
      var group = o.parentElement && o.parentElement.tagName === "OPTGROUP" ? o.parentElement.label : "";
      found.push({ label: o.text.trim(), value: o.value, group: group });
    });
    return Promise.resolve(found.slice(0, 20));
  }

  // Make `input` a combobox; `choose(item)` is called with the chosen item.
  function combobox(root, input, choose) {
    var url = root.getAttribute("data-url");
    var select = url ? null : root.querySelector("select");
    var labelField = root.getAttribute("data-label-field") || "label";
    var valueField = root.getAttribute("data-value-field") || "id";
    var id = "picker-" + ++counter;
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "picker-status hint";
    status.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(i) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, j) {
        o.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      active = i;
      if (i >= 0 && options[i]) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      }
    }
    function pick(i) {
      var item = items[i];
      if (!item) return;
      input.value = item[labelField];
      choose({ label: item[labelField], value: String(item[valueField]), item: item });
      status.textContent = "已选择：" + item[labelField];
      close();
    }
    function show(found) {
      items = found;
      list.innerHTML = "";
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = item[labelField];
        if (item.group) {
          var small = document.createElement("small");
          small.textContent = " " + item.group;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (evt) {
          evt.preventDefault();
          pick(i);
        });
        list.appendChild(li);
      });
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      status.textContent = found.length ? "找到 " + found.length + " 项，用上下键选择，回车确认" : found.message || "没有找到，请换个说法";
      active = -1;
    }
    function search() {
      var q = input.value.trim();
      var mine = ++asked;
      if (!q) {
        show([]);
        status.textContent = "";
        return;
      }
      (select ? localItems(select, q) : fetchItems(url, q)).then(function (found) {
        if (mine === asked) show(found);
      });
    }
    input.addEventListener("input", function () {
      root.dispatchEvent(new CustomEvent("picker:typed"));
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (evt) {
      if (evt.key === "ArrowDown") {
        evt.preventDefault();
        if (list.hidden) search();
        else mark(Math.min(active + 1, items.length - 1));
      } else if (evt.key === "ArrowUp") {
        evt.preventDefault();
        mark(Math.max(active - 1, 0));
      } else if (evt.key === "Enter" && !list.hidden) {
        evt.preventDefault();
        pick(active >= 0 ? active : 0);
      } else if (evt.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  function searchPicker(root) {
    var input = root.querySelector("input[data-picker-text]");
    var hidden = root.querySelector("input[data-picker-value]");
    if (!input || !hidden) return;
    combobox(root, input, function (chosen) {
      hidden.value = chosen.value;
    });
    root.addEventListener("picker:typed", function () {
      hidden.value = "";
    });
  }

  // The select stays as it is (the list to browse, and what the form posts); the search box
  // before it finds a unit by part of its name and chooses it in the select.
  function unitPicker(root) {
    var select = root.querySelector("select");
    if (!select) return;
    var own = root.querySelector("label[for='" + select.id + "']");
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id + "-search";
    input.className = "picker-input";
    input.placeholder = "输入名称中的字，如“城管”";
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = (own ? own.textContent : "承办单位") + "：输入名称查找";
    root.insertBefore(label, root.firstChild);
    label.insertAdjacentElement("afterend", input);
    combobox(root, input, function (chosen) {
      select.value = chosen.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function multiPicker(root) {
    var boxes = Array.prototype.slice.call(root.querySelectorAll("input[type=checkbox]"));
    var input = document.createElement("input");
    input.type = "text";
    input.id = "picker-multi-" + ++counter;
    input.className = "picker-input";
    input.placeholder = "输入单位名称中的字，选择后加入";
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = root.getAttribute("data-label") || "查找并添加";
    var chosenList = document.createElement("p");
    chosenList.className = "picker-chosen";
    chosenList.setAttribute("aria-live", "polite");
    root.insertAdjacentElement("beforebegin", label);
    label.insertAdjacentElement("afterend", input);
    function refresh() {
      var names = boxes.filter(function (b) { return b.checked; }).map(function (b) {
        return b.parentElement ? b.parentElement.textContent.trim() : b.value;
      });
      chosenList.textContent = names.length ? "已选：" + names.join("、") : "";
    }
    combobox(root, input, function (chosen) {
      boxes.forEach(function (b) {
        if (b.value === chosen.value) b.checked = true;
      });
      input.value = "";
      refresh();
    });
    var status = input.parentElement ? input.parentElement.querySelector(".picker-status") : null;
    (status || input).insertAdjacentElement("afterend", chosenList);
    boxes.forEach(function (b) { b.addEventListener("change", refresh); });
    refresh();
  }

  function enhance(scope) {
    var kinds = [
      ["[data-search-picker]", searchPicker],
      ["[data-unit-picker]", unitPicker],
      ["[data-multi-picker]", multiPicker],
    ];
    kinds.forEach(function (kind) {
      var found = Array.prototype.slice.call(scope.querySelectorAll(kind[0]));
      if (scope.matches && scope.matches(kind[0])) found.push(scope);
      found.forEach(function (root) {
        if (root.getAttribute("data-enhanced")) return;
        root.setAttribute("data-enhanced", "1");
        kind[1](root);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (evt) {
    if (evt.target instanceof Element) enhance(evt.target);
  });
})();

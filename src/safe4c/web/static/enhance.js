/* Small improvements to the report form; everything works without them. */
(function () {
  "use strict";
  var province = document.getElementById("province_code");
  var regency = document.getElementById("regency_code");
  if (province && regency) {
    // Keep every group aside and show only the chosen province's regencies and cities.
    var groups = Array.prototype.slice.call(regency.querySelectorAll("optgroup"));
    var filter = function () {
      var chosen = province.value;
      var current = regency.value;
      groups.forEach(function (group) {
        if (group.parentNode === regency) { regency.removeChild(group); }
      });
      groups.forEach(function (group) {
        if (!chosen || group.getAttribute("data-p") === chosen) { regency.appendChild(group); }
      });
      regency.value = current && (!chosen || current.split(".")[0] === chosen) ? current : "";
    };
    province.addEventListener("change", filter);
    regency.addEventListener("change", function () {
      if (regency.value && !province.value) { province.value = regency.value.split(".")[0]; filter(); }
    });
    filter();
  }
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
}());

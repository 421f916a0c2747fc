/* Quick exit: leave for a neutral page and replace this page in the history, so Back does not return here.
   The button is a plain link, so it works without JavaScript too. Pressing Esc twice also leaves. */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.title = "";
    document.body.hidden = true;
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  var last = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    if (now - last < 1500) { leave(event); } else { last = now; }
  });
  var tip = document.querySelector(".exit-tip");
  if (tip) { tip.hidden = false; }
}());

// Starts the Leptos console. console.js and console_bg.wasm come from scripts/build-ui.sh
// (wasm-bindgen --target web); a separate file rather than an inline script so a strict
// Content-Security-Policy (script-src 'self') works in the browser and in the window.
import('./console.js')
  .then((module) => module.default())
  .catch((error) => {
    console.error(error);
    const boot = document.getElementById('boot');
    if (boot) {
      boot.classList.add('boot-failed');
      boot.textContent =
        'The console could not start (' + error + '). Build it with scripts/build-ui.sh.';
    }
  });

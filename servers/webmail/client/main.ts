document.getElementById("app")?.replaceChildren("mailstack webmail");

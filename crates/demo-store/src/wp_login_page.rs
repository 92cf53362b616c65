//! The HTML of WordPress 6.5's `wp-login.php` form (head, error box and form as in the `wplogin-02` capture, line endings included).

use super::coupons::esc_html;

/// The site title the login page shows.
pub(crate) const BLOG_NAME: &str = "WooCommerce Demo Store";

/// What the form shows.
pub(crate) struct LoginPage<'a> {
    /// Home URL with the request's scheme.
    pub(crate) home: &'a str,
    /// Each error's HTML (already escaped where it carries user input).
    pub(crate) errors: &'a [String],
    /// The `log` value echoed back (only after a wrong or empty password, as WordPress does).
    pub(crate) user_login: &'a str,
    pub(crate) redirect_to: &'a str,
    pub(crate) rememberme: bool,
}

/// `wp_lostpassword_url()` with WooCommerce active.
pub(crate) fn lost_password_url(home: &str) -> String {
    format!("{home}/my-account/lost-password/")
}

fn styles(home: &str) -> String {
    let sheet = |id: &str, path: &str| {
        format!("<link rel='stylesheet' id='{id}-css' href='{home}{path}?ver=6.5.3' type='text/css' media='all' />\n")
    };
    [
        sheet("dashicons", "/wp-includes/css/dashicons.min.css"),
        sheet("buttons", "/wp-includes/css/buttons.min.css"),
        sheet("forms", "/wp-admin/css/forms.min.css"),
        sheet("l10n", "/wp-admin/css/l10n.min.css"),
        sheet("login", "/wp-admin/css/login.min.css"),
    ]
    .concat()
}

impl LoginPage<'_> {
    pub(crate) fn render(&self) -> String {
        let home = self.home;
        let aria = if self.errors.is_empty() { "" } else { " aria-describedby=\"login_error\"" };
        let mut h = String::with_capacity(6 * 1024);
        h.push_str("<!DOCTYPE html>\r\n\t<html lang=\"en-US\">\r\n\t<head>\r\n");
        h.push_str("\t<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\r\n");
        h.push_str(&format!("\t<title>Log In &lsaquo; {BLOG_NAME} &#8212; WordPress</title>\r\n"));
        h.push_str("\t<meta name='robots' content='noindex, nofollow, noarchive' />\n");
        h.push_str(&styles(home));
        h.push_str("\t<meta name='referrer' content='strict-origin-when-cross-origin' />\r\n");
        h.push_str("\t\t<meta name=\"viewport\" content=\"width=device-width\" />\r\n\t\t</head>\r\n");
        h.push_str("\t<body class=\"login no-js login-action-login wp-core-ui  locale-en-us\">\r\n");
        h.push_str("\t<script type=\"text/javascript\">\n/* <![CDATA[ */\ndocument.body.className = document.body.className.replace('no-js','js');\n/* ]]> */\n</script>\n\r\n");
        h.push_str("\t\t<div id=\"login\">\r\n\t\t<h1><a href=\"https://wordpress.org/\">Powered by WordPress</a></h1>\r\n");
        if !self.errors.is_empty() {
            let ps: String = self.errors.iter().map(|e| format!("<p>{e}</p>")).collect();
            h.push_str(&format!("\t<div id=\"login_error\" class=\"notice notice-error\">{ps}</div>\r\n"));
        }
        h.push_str(&format!("\t\t<form name=\"loginform\" id=\"loginform\" action=\"{home}/wp-login.php\" method=\"post\">\r\n"));
        h.push_str("\t\t\t<p>\r\n\t\t\t\t<label for=\"user_login\">Username or Email Address</label>\r\n");
        h.push_str(&format!(
            "\t\t\t\t<input type=\"text\" name=\"log\" id=\"user_login\"{aria} class=\"input\" value=\"{}\" size=\"20\" autocapitalize=\"off\" autocomplete=\"username\" required=\"required\" />\r\n",
            esc_html(self.user_login)
        ));
        h.push_str("\t\t\t</p>\r\n\r\n\t\t\t<div class=\"user-pass-wrap\">\r\n\t\t\t\t<label for=\"user_pass\">Password</label>\r\n");
        h.push_str("\t\t\t\t<div class=\"wp-pwd\">\r\n");
        h.push_str(&format!(
            "\t\t\t\t\t<input type=\"password\" name=\"pwd\" id=\"user_pass\"{aria} class=\"input password-input\" value=\"\" size=\"20\" autocomplete=\"current-password\" spellcheck=\"false\" required=\"required\" />\r\n"
        ));
        h.push_str("\t\t\t\t\t<button type=\"button\" class=\"button button-secondary wp-hide-pw hide-if-no-js\" data-toggle=\"0\" aria-label=\"Show password\">\r\n");
        h.push_str("\t\t\t\t\t\t<span class=\"dashicons dashicons-visibility\" aria-hidden=\"true\"></span>\r\n\t\t\t\t\t</button>\r\n");
        h.push_str("\t\t\t\t</div>\r\n\t\t\t</div>\r\n");
        let checked = if self.rememberme { "checked='checked' " } else { "" };
        h.push_str(&format!(
            "\t\t\t<p class=\"forgetmenot\"><input name=\"rememberme\" type=\"checkbox\" id=\"rememberme\" value=\"forever\" {checked}/> <label for=\"rememberme\">Remember Me</label></p>\r\n"
        ));
        h.push_str("\t\t\t<p class=\"submit\">\r\n");
        h.push_str("\t\t\t\t<input type=\"submit\" name=\"wp-submit\" id=\"wp-submit\" class=\"button button-primary button-large\" value=\"Log In\" />\r\n");
        h.push_str(&format!("\t\t\t\t\t<input type=\"hidden\" name=\"redirect_to\" value=\"{}\" />\r\n", esc_html(self.redirect_to)));
        h.push_str("\t\t\t\t\t<input type=\"hidden\" name=\"testcookie\" value=\"1\" />\r\n\t\t\t</p>\r\n\t\t</form>\r\n\r\n");
        h.push_str(&format!(
            "\t\t\t\t\t<p id=\"nav\">\r\n\t\t\t\t<a class=\"wp-login-lost-password\" href=\"{}\">Lost your password?</a>\t\t\t</p>\r\n",
            lost_password_url(home)
        ));
        let focus = if self.user_login.is_empty() {
            "d = document.getElementById( \"user_login\" );"
        } else {
            "d = document.getElementById( \"user_pass\" ); d.value = \"\";"
        };
        h.push_str(&format!(
            "\t\t\t<script type=\"text/javascript\">\n/* <![CDATA[ */\nfunction wp_attempt_focus() {{setTimeout( function() {{try {{{focus}d.focus(); d.select();}} catch( er ) {{}}}}, 200);}}\nwp_attempt_focus();\nif ( typeof wpOnload === 'function' ) {{ wpOnload() }}\n/* ]]> */\n</script>\n"
        ));
        h.push_str(&format!("\t\t<p id=\"backtoblog\">\r\n\t\t\t<a href=\"{home}/\">&larr; Go to {BLOG_NAME}</a>\t\t</p>\r\n"));
        h.push_str("\t\t\t</div>\r\n\t\t\t\t</body>\r\n\t</html>\r\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_box_and_echoed_login_are_escaped() {
        let errors = vec!["<strong>Error:</strong> x".to_string()];
        let page =
            LoginPage { home: "http://h", errors: &errors, user_login: "a\"<b>", redirect_to: "http://h/wp-admin/", rememberme: true };
        let html = page.render();
        assert!(html.contains("\t<div id=\"login_error\" class=\"notice notice-error\"><p><strong>Error:</strong> x</p></div>\r\n"));
        assert!(html.contains("value=\"a&quot;&lt;b&gt;\""));
        assert!(html.contains("aria-describedby=\"login_error\""));
        assert!(html.contains("checked='checked'"));
    }
}

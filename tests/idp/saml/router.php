<?php
/*
 * Router for PHP's built-in web server, serving SimpleSAMLphp's www/ directory under /simplesaml/
 * the way Apache's "Alias /simplesaml /usr/share/simplesamlphp/www" would:
 *
 *     SIMPLESAMLPHP_CONFIG_DIR=<dir> php -S 127.0.0.1:<port> -t /usr/share/simplesamlphp/www router.php
 *
 * Used by tests/support/saml_idp.py. `php -S` alone cannot do it: it knows nothing of the /simplesaml
 * prefix (the baseurlpath), and SimpleSAMLphp's scripts include each other with paths relative to the
 * working directory (saml2/idp/SSOService.php does require_once('../../_include.php')).
 *
 * For /simplesaml/<path> the router walks <path> one segment at a time below the www/ directory until
 * it meets a file: a .php file is run with SCRIPT_NAME, SCRIPT_FILENAME, PHP_SELF and PATH_INFO set as
 * Apache would set them (module.php/core/loginuserpass.php -> module.php with PATH_INFO
 * /core/loginuserpass.php) from its own directory; anything else (CSS, images) is sent as is.
 * Everything outside /simplesaml/ is a 404.
 */

$www = rtrim(getenv('SIMPLESAMLPHP_WWW_DIR') ?: '/usr/share/simplesamlphp/www', '/');
$prefix = '/simplesaml';

function kloudsso_not_found(string $why): bool
{
    http_response_code(404);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Not found: $why\n";
    return true;
}

$path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH));
if ($path === $prefix) {
    header('Location: ' . $prefix . '/');
    http_response_code(302);
    return true;
}
if (strpos($path, $prefix . '/') !== 0) {
    return kloudsso_not_found($path);
}
$relative = substr($path, strlen($prefix)); // starts with "/"
if (strpos($relative, "\0") !== false || preg_match('#(^|/)\.\.?(/|$)#', $relative)) {
    return kloudsso_not_found($path);
}

// Find the first existing file along the path; what follows it is PATH_INFO.
$script = null;
$pathInfo = '';
$current = $www;
$segments = explode('/', substr($relative, 1));
foreach ($segments as $i => $segment) {
    if ($segment === '') {
        // "//" or a trailing slash: stop here, in the directory reached so far
        $pathInfo = '/' . implode('/', array_slice($segments, $i + 1));
        break;
    }
    $current .= '/' . $segment;
    if (is_file($current)) {
        $script = $current;
        $rest = array_slice($segments, $i + 1);
        $pathInfo = $rest ? '/' . implode('/', $rest) : '';
        break;
    }
    if (!is_dir($current)) {
        return kloudsso_not_found($path);
    }
}
if ($script === null) {
    // a directory: its index.php, like DirectoryIndex
    if ($pathInfo !== '' && $pathInfo !== '/') {
        return kloudsso_not_found($path);
    }
    if (!is_file($current . '/index.php')) {
        return kloudsso_not_found($path);
    }
    if (substr($path, -1) !== '/') {
        header('Location: ' . $path . '/' . (isset($_SERVER['QUERY_STRING']) && $_SERVER['QUERY_STRING'] !== ''
            ? '?' . $_SERVER['QUERY_STRING'] : ''));
        http_response_code(301);
        return true;
    }
    $script = $current . '/index.php';
    $pathInfo = '';
}

if (substr($script, -4) !== '.php') {
    if ($pathInfo !== '') {
        return kloudsso_not_found($path);
    }
    $types = [
        'css' => 'text/css', 'js' => 'application/javascript', 'png' => 'image/png', 'gif' => 'image/gif',
        'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'svg' => 'image/svg+xml', 'ico' => 'image/x-icon',
        'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf', 'html' => 'text/html',
        'txt' => 'text/plain', 'xml' => 'application/xml', 'json' => 'application/json',
    ];
    $extension = strtolower(pathinfo($script, PATHINFO_EXTENSION));
    header('Content-Type: ' . ($types[$extension] ?? 'application/octet-stream'));
    header('Content-Length: ' . filesize($script));
    readfile($script);
    return true;
}

$scriptName = $prefix . substr($script, strlen($www));
$_SERVER['SCRIPT_FILENAME'] = $script;
$_SERVER['SCRIPT_NAME'] = $scriptName;
$_SERVER['PHP_SELF'] = $scriptName . $pathInfo;
if ($pathInfo !== '') {
    $_SERVER['PATH_INFO'] = $pathInfo;
} else {
    unset($_SERVER['PATH_INFO']);
}
unset($_SERVER['PATH_TRANSLATED']);
chdir(dirname($script));
require $script;
return true;
